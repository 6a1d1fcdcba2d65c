// Under an answer, when the server keeps corrections: "Wrong?", then the right digit (ten choices) or the
// right number (a text field holding what was read), the consent, and Send; once kept, "Delete it". The
// state lives in App (useCorrection, correction.js), so that it outlasts a switch of tabs and ends with the
// answer. about: { kind 'digit' | 'number', image (the Blob that was sent), filename, predicted (what the
// server answered, as text), modelVersion, doubted (the server itself doubted its answer) }.
import { useEffect, useId, useRef } from 'react';
import { CONSENT_TEXT, labelProblem } from '../correction.js';

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

function DigitChoices({ name, label, predicted, doubted, onChoose }) {
  return (
    <fieldset className="digit-choices">
      <legend className="field-label">The right digit</legend>
      <div className="digit-choice-list">
        {DIGITS.map((digit) => {
          const isAnswer = digit === predicted && !doubted; // choosing the model's own answer corrects nothing
          return (
            <label key={digit} className="digit-choice" title={isAnswer ? 'The model’s answer' : undefined}>
              <input
                type="radio"
                className="sr-only"
                name={name}
                value={digit}
                checked={label === digit}
                disabled={isAnswer}
                onChange={() => onChoose(digit)}
              />
              <span aria-hidden="true">{digit}</span>
              <span className="sr-only">{isAnswer ? `${digit}, the model’s answer` : digit}</span>
            </label>
          );
        })}
      </div>
    </fieldset>
  );
}

function NumberField({ id, label, multiline, onChange }) {
  const props = {
    id,
    className: 'text-input',
    value: label,
    onChange: (event) => onChange(event.target.value),
    autoComplete: 'off',
    spellCheck: false,
    'data-testid': 'correction-number',
  };
  return (
    <div className="number-field">
      <label htmlFor={id} className="field-label">
        The right number
      </label>
      {multiline ? <textarea rows={label.split('\n').length} {...props} /> : <input type="text" {...props} />}
    </div>
  );
}

export default function Correction({ correction, about }) {
  const ids = useId();
  const { state, open, setLabel, setConsent, cancel, send, remove } = correction;
  const { step, label, consent, error } = state;
  const wrongButton = useRef(null);
  const fields = useRef(null);
  const sendButton = useRef(null);
  const message = useRef(null);
  const lastStep = useRef(step);
  // Closed by Cancel (the correction still belongs to this answer), not by a new answer.
  const cancelled = step === 'closed' && state.result !== null;

  // Keyboard and screen-reader users follow the steps: into the fields on opening, back to Send when sending
  // failed, onto the message once kept or deleted, back to "Wrong?" on Cancel. Only on a step the user took:
  // a panel shown again (a tab switched back) or closed by a new answer leaves the focus where it is.
  useEffect(() => {
    if (lastStep.current === step) return;
    const from = lastStep.current;
    lastStep.current = step;
    if (step === 'editing' && from === 'closed') fields.current?.querySelector('input:checked, input:not(:disabled), textarea')?.focus();
    if (step === 'editing' && from === 'sending') sendButton.current?.focus();
    if (step === 'kept' || step === 'deleted') message.current?.focus();
    if (cancelled) wrongButton.current?.focus();
  }, [step, cancelled]);

  if (step === 'closed') {
    return (
      <div className="correction">
        <button
          ref={wrongButton}
          type="button"
          className="btn btn-quiet"
          onClick={() => open(about.kind === 'number' ? about.predicted : '')}
        >
          Wrong?
        </button>
      </div>
    );
  }

  if (step === 'kept' || step === 'deleting' || step === 'deleted') {
    return (
      <div className="correction is-done" data-testid="correction">
        <p className="correction-message" ref={message} tabIndex={-1} data-testid="correction-message">
          {step === 'deleted' ? 'Deleted.' : 'Thanks — kept.'}
          {step !== 'deleted' && (
            <>
              {' '}
              <button type="button" className="link-button" onClick={remove} disabled={step === 'deleting'}>
                {step === 'deleting' ? 'Deleting…' : 'Delete it'}
              </button>
            </>
          )}
        </p>
        {error && (
          <p className="correction-error" role="alert" data-testid="correction-error">
            {error}
          </p>
        )}
      </div>
    );
  }

  const sending = step === 'sending';
  const problem = labelProblem(about, label);
  const showProblem = problem && (about.kind === 'number' || label !== ''); // an unchosen digit needs no words
  return (
    <form
      className="correction is-open"
      aria-labelledby={`${ids}-title`}
      data-testid="correction"
      onSubmit={(event) => {
        event.preventDefault();
        send(about);
      }}
    >
      <p className="correction-title" id={`${ids}-title`}>
        Correct the answer
      </p>
      <div ref={fields}>
        {about.kind === 'digit' ? (
          <DigitChoices name={`${ids}-digit`} label={label} predicted={about.predicted} doubted={about.doubted} onChoose={setLabel} />
        ) : (
          <NumberField id={`${ids}-number`} label={label} multiline={about.predicted.includes('\n')} onChange={setLabel} />
        )}
      </div>
      {showProblem && (
        <p className="panel-hint" data-testid="correction-problem">
          {problem}
        </p>
      )}
      <label className="check consent">
        <input type="checkbox" checked={consent} onChange={(event) => setConsent(event.target.checked)} disabled={sending} />
        {CONSENT_TEXT}
      </label>
      {error && (
        <p className="correction-error" role="alert" data-testid="correction-error">
          {error}
        </p>
      )}
      <div className="toolbar correction-actions">
        <button type="button" className="btn" onClick={cancel} disabled={sending}>
          Cancel
        </button>
        <button ref={sendButton} type="submit" className="btn btn-primary" disabled={!consent || Boolean(problem) || sending}>
          {sending ? 'Sending…' : 'Send'}
        </button>
      </div>
    </form>
  );
}
