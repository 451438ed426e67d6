import { PageTitle } from '../../ui/kit';

export default function AppointmentsPage() {
  return <PageTitle>Appointments</PageTitle>;
}
