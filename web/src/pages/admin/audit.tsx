import { PageTitle } from '../../ui/kit';

export default function AuditPage() {
  return <PageTitle>Audit</PageTitle>;
}
