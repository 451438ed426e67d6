import { PageTitle } from '../../ui/kit';

export default function ProfilePage() {
  return <PageTitle>Profile</PageTitle>;
}
