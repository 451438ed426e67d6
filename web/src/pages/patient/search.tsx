import { PageTitle } from '../../ui/kit';

export default function SearchPage() {
  return <PageTitle>Search</PageTitle>;
}
