import { PageTitle } from '../../ui/kit';

export default function AccountPage() {
  return <PageTitle>Account</PageTitle>;
}
