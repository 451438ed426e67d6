/**
 * A per-day line chart (uPlot, loaded only with the analytics page) with what a screen reader or a
 * careful reader needs: a caption, a legend in words and the same numbers as a table that opens
 * below. The chart takes its container's width (ResizeObserver), so a phone never scrolls sideways.
 * Days are calendar dates (YYYY-MM-DD), drawn at UTC midnight and labelled in UTC, so the browser's
 * own zone can't shift them.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useFormat, useI18n } from '../../i18n';
import { ScrollTable, td, th } from './parts';

export interface DaySeries {
  label: string;
  colour: string;
  values: number[];
}

const HEIGHT = 240;
/** Steps for a count axis: whole numbers only. */
const WHOLE_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000];
const instant = (date: string) => `${date}T00:00:00Z`;

export function DayChart({
  caption,
  days,
  series,
  formatValue,
  whole = false,
}: {
  caption: string;
  days: string[];
  series: DaySeries[];
  formatValue: (value: number) => string;
  /** The values are counts: the axis shows whole numbers only. */
  whole?: boolean;
}) {
  const { t } = useI18n();
  const format = useFormat();
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const xs = days.map((day) => Date.parse(instant(day)) / 1000);
    const tick = new Intl.DateTimeFormat(format.tag, { timeZone: 'UTC', day: 'numeric', month: 'short' });
    const options: uPlot.Options = {
      width: Math.max(element.clientWidth, 200),
      height: HEIGHT,
      legend: { show: false },
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      scales: { x: { time: true } },
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.colour,
          width: 2,
          points: { show: true, size: 5 },
        })),
      ],
      axes: [
        {
          space: 70,
          values: (_u: uPlot, splits: number[]) => splits.map((ts) => tick.format(new Date(ts * 1000))),
        },
        {
          size: 80,
          ...(whole ? { incrs: WHOLE_STEPS } : {}),
          values: (_u: uPlot, splits: number[]) => splits.map(formatValue),
        },
      ],
    };
    const chart = new uPlot(options, [xs, ...series.map((s) => s.values)], element);
    const observer = new ResizeObserver(() => {
      chart.setSize({ width: Math.max(element.clientWidth, 200), height: HEIGHT });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
    };
  }, [days, series, formatValue, whole, format]);

  return (
    <figure className="flex min-w-0 flex-col gap-2">
      <figcaption className="text-lg font-semibold">{caption}</figcaption>
      <div ref={box} role="img" aria-label={caption} className="w-full min-w-0 overflow-hidden" />
      <ul className="flex flex-wrap gap-x-4 gap-y-1 text-sm" aria-label={t('admin.analytics.legend')}>
        {series.map((s) => (
          <li key={s.label} className="flex items-center gap-1">
            <span
              aria-hidden="true"
              className="inline-block h-3 w-3 rounded-sm"
              style={{ background: s.colour }}
            />
            {s.label}
          </li>
        ))}
      </ul>
      <details>
        <summary className="min-h-11 cursor-pointer py-2 font-medium text-emerald-800 underline">
          {t('admin.analytics.showTable', { caption })}
        </summary>
        <ScrollTable label={caption}>
          <table className="min-w-full text-sm">
            <caption className="sr-only">{caption}</caption>
            <thead>
              <tr>
                <th scope="col" className={th}>
                  {t('admin.analytics.day')}
                </th>
                {series.map((s) => (
                  <th key={s.label} scope="col" className={th}>
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {days.map((day, i) => (
                <tr key={day}>
                  <th scope="row" className={`${td} text-left font-normal whitespace-nowrap`}>
                    {format.shortDay(instant(day), 'UTC')}
                  </th>
                  {series.map((s) => (
                    <td key={s.label} className={`${td} text-right`}>
                      {formatValue(s.values[i] ?? 0)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      </details>
    </figure>
  );
}
