import { PageTitle } from '../../ui/kit';

export default function AppointmentPage() {
  return <PageTitle>Appointment</PageTitle>;
}
