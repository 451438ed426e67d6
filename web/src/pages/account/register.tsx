import { PageTitle } from '../../ui/kit';

export default function RegisterPage() {
  return <PageTitle>Register</PageTitle>;
}
