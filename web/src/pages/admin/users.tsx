import { PageTitle } from '../../ui/kit';

export default function UsersPage() {
  return <PageTitle>Users</PageTitle>;
}
