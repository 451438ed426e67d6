import { PageTitle } from '../../ui/kit';

export default function LoginPage() {
  return <PageTitle>Login</PageTitle>;
}
