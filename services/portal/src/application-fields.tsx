/** The name and description fields of an application: one markup for the create and edit forms. */
import { Field } from './ui.tsx';

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
