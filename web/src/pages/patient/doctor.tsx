import { PageTitle } from '../../ui/kit';

export default function DoctorPage() {
  return <PageTitle>Doctor</PageTitle>;
}
