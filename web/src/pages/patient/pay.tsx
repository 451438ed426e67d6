import { PageTitle } from '../../ui/kit';

export default function PayPage() {
  return <PageTitle>Pay</PageTitle>;
}
