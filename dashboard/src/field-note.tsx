import type { JSX } from 'preact'

/** The reason a form field is wrong, next to it (client check or the gateway's 400). */
export function FieldNote(props: { id: string; text: string | undefined }): JSX.Element | null {
  if (props.text === undefined) return null
  return (
    <span class="field-note" id={props.id} role="alert" data-testid="field-error">
      {props.text}
    </span>
  )
}
