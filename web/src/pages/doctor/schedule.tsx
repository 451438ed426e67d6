import { PageTitle } from '../../ui/kit';

export default function SchedulePage() {
  return <PageTitle>Schedule</PageTitle>;
}
