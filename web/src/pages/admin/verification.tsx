import { PageTitle } from '../../ui/kit';

export default function VerificationPage() {
  return <PageTitle>Verification</PageTitle>;
}
