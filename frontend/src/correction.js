// The correction of one answer: the user says what the image really holds, consents, and the page sends it
// (POST /feedback) with the exact image that answer was about; then the user may delete it again (DELETE
// /feedback/{id}, with the id and delete token kept in this page's memory only). A correction belongs to the
// answer it was opened for: a new answer (a new drawing, a new upload) shows it closed again.
import { useCallback, useReducer } from 'react';
import { toDisplayError } from './state.js';

export const CONSENT_TEXT = 'Keep this image to improve the model. You can delete it with the link shown.';

const NUMBER_LABEL_MAX = 64; // the server's limit on a number's text
const NUMBER_LABEL_CHARS = /^[0-9.,\-/: \n]*$/; // what /read writes, and spaces and line breaks between

// step: 'closed' | 'editing' (choosing the label, consenting) | 'sending' | 'kept' | 'deleting' | 'deleted'.
// result: the answer this correction is about (the object on screen); label: the right digit or number, as
// text; kept: { id, deleteToken } once the server kept it; error: what to tell the user, in words.
export const closedCorrection = { result: null, step: 'closed', label: '', consent: false, kept: null, error: null };

export function correctionReducer(state, action) {
  // Every action but 'open' is about the answer the correction was opened for; one about another answer
  // (a reply that came after a newer answer) changes nothing.
  if (action.type !== 'open' && action.result !== state.result) return state;
  switch (action.type) {
    case 'open':
      return { ...closedCorrection, result: action.result, step: 'editing', label: action.label };
    case 'label':
      return state.step === 'editing' ? { ...state, label: action.label, error: null } : state;
    case 'consent':
      return state.step === 'editing' ? { ...state, consent: action.consent } : state;
    case 'cancel':
      return state.step === 'editing' ? { ...state, step: 'closed', error: null } : state;
    case 'send':
      return { ...state, step: 'sending', error: null };
    case 'sent':
      return { ...state, step: 'kept', kept: action.kept, error: null };
    case 'send_failed':
      return { ...state, step: 'editing', error: action.error };
    case 'delete':
      return { ...state, step: 'deleting', error: null };
    case 'deleted':
      return { ...state, step: 'deleted', kept: null, error: null };
    case 'delete_failed':
      return { ...state, step: 'kept', error: action.error };
    default:
      throw new Error(`unknown action ${action.type}`);
  }
}

// Why this label cannot be sent yet, in words; null when it can. kind: 'digit' | 'number'; predicted: what the
// server answered, as text; doubted: the server itself doubted its answer (not a digit, or unsure), so that
// confirming what it read is a correction too.
export function labelProblem({ kind, predicted, doubted = false }, label) {
  if (kind === 'digit') {
    if (!/^[0-9]$/.test(label)) return 'Choose the digit it is.';
    return label === predicted && !doubted ? 'That is what the model read: choose the digit it really is.' : null;
  }
  const text = label.trim();
  if (!text) return 'Type the number that is written.';
  if (!NUMBER_LABEL_CHARS.test(text) || !/[0-9]/.test(text)) return 'Use digits and . , - / : only, as the number is written.';
  if (text.length > NUMBER_LABEL_MAX) return `At most ${NUMBER_LABEL_MAX} characters.`;
  return text === predicted.trim() && !doubted ? 'That is what the model read: change it to what is written.' : null;
}

// What the server answered, as the `predicted` field takes it: one line of printable text, at most 64
// characters (a reading of several lines has them joined by spaces).
export function predictedField(predicted) {
  return String(predicted ?? '').replace(/\s*\n\s*/g, ' ').slice(0, NUMBER_LABEL_MAX);
}

// A failed POST /feedback or DELETE /feedback/{id} in plain words, from the server's code. error: as
// toDisplayError gives it ({ kind, message, status, code, retryAfter }); during: 'send' | 'delete'.
export function correctionErrorMessage(error, during) {
  const sending = during === 'send';
  switch (error.code) {
    case 'too_many_requests':
      return `Too many corrections — try again in ${error.retryAfter !== null && error.retryAfter !== undefined ? `${error.retryAfter} s` : 'a minute'}.`;
    case 'storage_unavailable':
      return sending ? 'Corrections can’t be kept right now. Try again in a moment.' : 'It can’t be deleted right now. Try again in a moment.';
    case 'storage_full':
      return 'Corrections can’t be kept right now: the server’s store of them is full.';
    case 'not_found':
      return sending ? 'This server does not keep corrections.' : 'It is no longer kept: already deleted, or past the time the server keeps corrections.';
    default:
      if (error.kind === 'network' || error.kind === 'bad_response') return error.message;
      return `${sending ? 'Not kept' : 'Not deleted'}: ${error.message}`;
  }
}

// The correction of the answer `result` (the object on screen; null when there is none). client: sendFeedback
// and deleteFeedback (api.js). Returns { state, open(label), setLabel, setConsent, cancel, send(about),
// remove }; about: { kind, image, filename, predicted, modelVersion } — what the answer was about.
export function useCorrection(client, result) {
  const [held, dispatch] = useReducer(correctionReducer, closedCorrection);
  const state = result !== null && held.result === result ? held : closedCorrection;

  const open = useCallback((label) => dispatch({ type: 'open', result, label }), [result]);
  const setLabel = useCallback((label) => dispatch({ type: 'label', result, label }), [result]);
  const setConsent = useCallback((consent) => dispatch({ type: 'consent', result, consent }), [result]);
  const cancel = useCallback(() => dispatch({ type: 'cancel', result }), [result]);

  const send = async (about) => {
    if (state.step !== 'editing' || !state.consent || labelProblem(about, state.label)) return;
    dispatch({ type: 'send', result });
    try {
      const kept = await client.sendFeedback({
        image: about.image,
        filename: about.filename,
        kind: about.kind,
        label: about.kind === 'number' ? state.label.trim() : state.label,
        predicted: predictedField(about.predicted),
        modelVersion: about.modelVersion ?? null,
      });
      dispatch({ type: 'sent', result, kept });
    } catch (err) {
      dispatch({ type: 'send_failed', result, error: correctionErrorMessage(toDisplayError(err), 'send') });
    }
  };

  const remove = async () => {
    if (state.step !== 'kept' || !state.kept) return;
    dispatch({ type: 'delete', result });
    try {
      await client.deleteFeedback(state.kept.id, state.kept.deleteToken);
      dispatch({ type: 'deleted', result });
    } catch (err) {
      dispatch({ type: 'delete_failed', result, error: correctionErrorMessage(toDisplayError(err), 'delete') });
    }
  };

  return { state, open, setLabel, setConsent, cancel, send, remove };
}
