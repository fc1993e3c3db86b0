/** The name and description fields of an application: one markup for the create and edit forms. */
import { useState } from 'react';
import { ApiError } from './api.ts';
import { Field } from './ui.tsx';

/** The fields' state: typing in the name clears its error. */
export function useApplicationFields(initialName: string, initialDescription: string) {
  const [name, setName] = useState(initialName);
  const [description, setDescription] = useState(initialDescription);
  const [nameError, setNameError] = useState<string | undefined>();
  const props = {
    name,
    onName(value: string) {
      setName(value);
      setNameError(undefined);
    },
    nameError,
    description,
    onDescription: setDescription,
  };
  /**
   * A 409 application_exists (creating, or renaming to a name the developer already uses) belongs
   * on the Name field, not in a general alert: true when `err` was that and is now shown there.
   */
  const claimNameConflict = (err: unknown): boolean => {
    if (!(err instanceof ApiError) || err.code !== 'application_exists') return false;
    setNameError(err.message);
    return true;
  };
  return { name, description, setNameError, claimNameConflict, props };
}

/** Runs a create/rename request; a name conflict goes to the Name field, anything else is thrown. */
export async function withNameConflict<T>(
  fields: { claimNameConflict(err: unknown): boolean },
  request: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await request();
  } catch (err) {
    if (fields.claimNameConflict(err)) return undefined;
    throw err;
  }
}

export interface ApplicationFieldsProps {
  name: string;
  onName(value: string): void;
  nameError: string | undefined;
  description: string;
  onDescription(value: string): void;
  descriptionLabel: string;
  /** Marks the name as required for assistive technology (the create form). */
  nameRequired?: boolean;
}

export function ApplicationFields(props: ApplicationFieldsProps) {
  return (
    <>
      <Field label="Name" error={props.nameError}>
        {({ id, describedBy, invalid }) => (
          <input
            id={id}
            value={props.name}
            maxLength={200}
            required={props.nameRequired}
            aria-invalid={invalid}
            aria-describedby={describedBy}
            onChange={(e) => props.onName(e.target.value)}
          />
        )}
      </Field>
      <Field label={props.descriptionLabel}>
        {({ id }) => (
          <textarea
            id={id}
            rows={3}
            maxLength={1000}
            value={props.description}
            onChange={(e) => props.onDescription(e.target.value)}
          />
        )}
      </Field>
    </>
  );
}
