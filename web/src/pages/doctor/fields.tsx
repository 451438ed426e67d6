/**
 * Pieces the doctor pages share: a labelled group of checkboxes, a titled section, a form that
 * saves with one request (what it did, then its button), the no-profile-yet notice.
 */
import type { UseMutationResult } from '@tanstack/react-query';
import { type ReactNode, useId } from 'react';
import { Link } from 'wouter';
import { useI18n } from '../../i18n';
import { ErrorNotice } from '../../ui/errors';
import { Button, Notice } from '../../ui/kit';

export function CheckboxGroup<T extends string>({
  legend,
  options,
  value,
  onChange,
  label,
}: {
  legend: string;
  options: readonly T[];
  value: readonly T[];
  onChange: (next: T[]) => void;
  label: (option: T) => string;
}) {
  const toggle = (option: T, checked: boolean) =>
    onChange(checked ? [...value, option] : value.filter((v) => v !== option));
  return (
    <fieldset className="flex flex-col gap-1">
      <legend className="mb-1 font-medium">{legend}</legend>
      <div className="grid grid-cols-1 gap-x-4 sm:grid-cols-2">
        {options.map((option) => (
          <label key={option} className="flex min-h-11 items-center gap-2">
            <input
              type="checkbox"
              className="size-5"
              checked={value.includes(option)}
              onChange={(e) => toggle(option, e.target.checked)}
            />
            {label(option)}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

/** A section of a page with its own heading. */
export function Section({ title, children }: { title: string; children: ReactNode }) {
  const id = useId();
  return (
    <section aria-labelledby={id} className="rounded-lg border border-stone-200 bg-white p-4 shadow-sm">
      <h2 id={id} className="mb-3 text-lg font-semibold text-emerald-950">
        {title}
      </h2>
      {children}
    </section>
  );
}

/**
 * A doctor's form that sends one request (`mutation`) on submit: its fields, then the refusal (as
 * ErrorNotice, or as `failure` says it) or what was done, then the submit button, off while the
 * request is out.
 */
export function SavingForm<Data, Variables, Context>({
  mutation,
  onSave,
  done,
  failure = (error) => <ErrorNotice error={error} />,
  action,
  className,
  children,
}: {
  mutation: UseMutationResult<Data, Error, Variables, Context>;
  onSave: () => void;
  done: (data: Data) => string;
  failure?: (error: Error) => ReactNode;
  action: string;
  className: string;
  children: ReactNode;
}) {
  return (
    <form
      className={className}
      onSubmit={(e) => {
        e.preventDefault();
        onSave();
      }}
    >
      {children}
      {mutation.isError && failure(mutation.error)}
      {mutation.isSuccess && <Notice>{done(mutation.data)}</Notice>}
      <div>
        <Button type="submit" disabled={mutation.isPending}>
          {action}
        </Button>
      </div>
    </form>
  );
}

/** The schedule and the calendar need the profile's time zone: without a profile, say so. */
export function NeedProfile() {
  const { t } = useI18n();
  return (
    <div className="flex flex-col gap-3">
      <Notice tone="warn">{t('doctor.needProfile')}</Notice>
      <Link href="/doctor/profile" className="font-medium text-emerald-800 underline">
        {t('doctor.toProfile')}
      </Link>
    </div>
  );
}
