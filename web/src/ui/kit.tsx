/**
 * The few building blocks every page uses, so pages look alike and stay accessible: every input
 * has a visible label, every button a text, focus is always visible, targets are at least 44 px
 * high on phones.
 */
import { type ComponentProps, type ReactNode, useId } from 'react';

const buttonKinds = {
  primary: 'bg-emerald-800 text-white hover:bg-emerald-900 disabled:bg-stone-400',
  secondary: 'border border-stone-400 bg-white text-stone-900 hover:bg-stone-100 disabled:text-stone-400',
  danger: 'bg-red-700 text-white hover:bg-red-800 disabled:bg-stone-400',
} as const;

export function Button({
  kind = 'primary',
  className = '',
  ...props
}: ComponentProps<'button'> & { kind?: keyof typeof buttonKinds }) {
  return (
    <button
      type="button"
      className={`inline-flex min-h-11 items-center justify-center gap-2 rounded-md px-4 py-2 font-medium ${buttonKinds[kind]} ${className}`}
      {...props}
    />
  );
}

/** A control under its visible label, with whatever goes beneath it (a hint, an error). */
function Labelled({
  id,
  label,
  className,
  children,
}: {
  id: string;
  label: string;
  className: string;
  children: ReactNode;
}) {
  return (
    <div className={`flex flex-col gap-1 ${className}`}>
      <label htmlFor={id} className="font-medium">
        {label}
      </label>
      {children}
    </div>
  );
}

interface FieldProps extends ComponentProps<'input'> {
  label: string;
  hint?: string;
  error?: string | undefined;
}
export function Field({ label, hint, error, className = '', ...input }: FieldProps) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  return (
    <Labelled id={id} label={label} className={className}>
      <input
        id={id}
        aria-describedby={[hintId, errorId].filter(Boolean).join(' ') || undefined}
        aria-invalid={error ? true : undefined}
        className="min-h-11 w-full rounded-md border border-stone-400 bg-white px-3 py-2"
        {...input}
      />
      {hint && (
        <p id={hintId} className="text-sm text-stone-600">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId} className="text-sm text-red-700">
          {error}
        </p>
      )}
    </Labelled>
  );
}

export function Select({
  label,
  children,
  className = '',
  ...select
}: ComponentProps<'select'> & { label: string }) {
  const id = useId();
  return (
    <Labelled id={id} label={label} className={className}>
      <select id={id} className="min-h-11 rounded-md border border-stone-400 bg-white px-3 py-2" {...select}>
        {children}
      </select>
    </Labelled>
  );
}

export function TextArea({ label, className = '', ...area }: ComponentProps<'textarea'> & { label: string }) {
  const id = useId();
  return (
    <Labelled id={id} label={label} className={className}>
      <textarea
        id={id}
        className="min-h-24 rounded-md border border-stone-400 bg-white px-3 py-2"
        {...area}
      />
    </Labelled>
  );
}

export function Card({ children, className = '', ...props }: ComponentProps<'section'>) {
  return (
    <section className={`rounded-lg border border-stone-200 bg-white p-4 shadow-sm ${className}`} {...props}>
      {children}
    </section>
  );
}

export function PageTitle({ children, aside }: { children: ReactNode; aside?: ReactNode }) {
  return (
    <div className="mb-4 flex flex-wrap items-center justify-between gap-2">
      <h1 className="text-2xl font-semibold text-emerald-950">{children}</h1>
      {aside}
    </div>
  );
}

const badgeTones = {
  neutral: 'bg-stone-200 text-stone-800',
  good: 'bg-emerald-100 text-emerald-900',
  warn: 'bg-amber-100 text-amber-900',
  bad: 'bg-red-100 text-red-900',
} as const;
/** How a badge colours a state; the code-to-tone maps (appointment, slot) say which state is which. */
export type BadgeTone = keyof typeof badgeTones;
export function Badge({ tone = 'neutral', children }: { tone?: BadgeTone; children: ReactNode }) {
  return <span className={`rounded px-2 py-0.5 text-sm font-medium ${badgeTones[tone]}`}>{children}</span>;
}

/** A polite live region: what just happened, read out by screen readers. */
export function Notice({ children, tone = 'good' }: { children: ReactNode; tone?: 'good' | 'warn' }) {
  const colours = tone === 'good' ? 'border-emerald-300 bg-emerald-50' : 'border-amber-300 bg-amber-50';
  return (
    <p role="status" className={`rounded-md border p-3 ${colours}`}>
      {children}
    </p>
  );
}

/** A keyset-paged list's "Show more": there while there are more, off while the next page loads. */
export function ShowMore({
  list,
  children,
}: {
  list: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => Promise<unknown> };
  children: ReactNode;
}) {
  if (!list.hasNextPage) return null;
  return (
    <Button
      kind="secondary"
      className="self-start"
      disabled={list.isFetchingNextPage}
      onClick={() => void list.fetchNextPage()}
    >
      {children}
    </Button>
  );
}
