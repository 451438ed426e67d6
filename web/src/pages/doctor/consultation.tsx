import { PageTitle } from '../../ui/kit';

export default function ConsultationPage() {
  return <PageTitle>Consultation</PageTitle>;
}
