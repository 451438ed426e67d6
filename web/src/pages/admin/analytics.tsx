import { PageTitle } from '../../ui/kit';

export default function AnalyticsPage() {
  return <PageTitle>Analytics</PageTitle>;
}
