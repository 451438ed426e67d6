import { PageTitle } from '../../ui/kit';

export default function CalendarPage() {
  return <PageTitle>Calendar</PageTitle>;
}
