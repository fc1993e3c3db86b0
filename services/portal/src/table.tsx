/** The portal's one table markup: a header row of column names, then one row per item. */
import type { ReactNode } from 'react';

export interface Column<T> {
  header: string;
  /** Header text for assistive technology only (e.g. an actions column). */
  hiddenHeader?: boolean;
  cell(row: T): ReactNode;
  className?: string;
}

export function Table<T>(props: {
  rows: readonly T[];
  rowKey(row: T): string;
  /** `false` leaves a column out (e.g. admin-only columns). */
  columns: ReadonlyArray<Column<T> | false>;
  /** Read by screen readers only. */
  caption?: string;
}) {
  const columns = props.columns.filter((c): c is Column<T> => c !== false);
  return (
    <table className="table">
      {props.caption && <caption className="visually-hidden">{props.caption}</caption>}
      <thead>
        <tr>
          {columns.map((c) => (
            <th scope="col" key={c.header}>
              {c.hiddenHeader ? <span className="visually-hidden">{c.header}</span> : c.header}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row) => (
          <tr key={props.rowKey(row)}>
            {columns.map((c) => (
              <td key={c.header} className={c.className}>
                {c.cell(row)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
