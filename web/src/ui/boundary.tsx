/**
 * The last line against a blank page: a page that fails to load (its code chunk unreachable while
 * offline) or to render shows the offline/server notice with a retry instead. Moving to another
 * page clears it.
 */
import { Component, type ReactNode } from 'react';
import { ErrorNotice } from './errors';

interface Props {
  /** Changes when the user navigates: a new page gets a fresh chance. */
  resetKey: string;
  children: ReactNode;
}

export class PageBoundary extends Component<Props, { error: unknown; key: string }> {
  override state = { error: null as unknown, key: this.props.resetKey };

  static getDerivedStateFromError(error: unknown) {
    return { error };
  }

  static getDerivedStateFromProps(props: Props, state: { error: unknown; key: string }) {
    return props.resetKey === state.key ? null : { error: null, key: props.resetKey };
  }

  override render() {
    if (this.state.error)
      return <ErrorNotice error={this.state.error} onRetry={() => window.location.reload()} />;
    return this.props.children;
  }
}
