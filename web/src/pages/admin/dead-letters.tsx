import { PageTitle } from '../../ui/kit';

export default function DeadLettersPage() {
  return <PageTitle>DeadLetters</PageTitle>;
}
