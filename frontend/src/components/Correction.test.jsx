import { describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import Correction from './Correction.jsx';
import { ApiError } from '../api.js';
import { CONSENT_TEXT, useCorrection } from '../correction.js';
import { fakeClient, prediction, reading } from '../test/helpers.js';

const drawn = new Blob(['the drawing as sent'], { type: 'image/png' });
const digitAbout = { kind: 'digit', image: drawn, filename: 'drawing.png', predicted: '1', modelVersion: 'digitnet.cnn@40a38a0f', doubted: false };
const numberAbout = { kind: 'number', image: drawn, filename: 'drawing.png', predicted: '2024', modelVersion: 'digitnet.cnn@40a38a0f', doubted: false };

// The correction as App holds it: the hook, for the answer on screen.
function Harness({ client, result, about }) {
  const correction = useCorrection(client, result);
  return <Correction correction={correction} about={about} />;
}

function renderDigit(client = fakeClient(), result = prediction(1)) {
  const view = render(<Harness client={client} result={result} about={digitAbout} />);
  return { client, result, ...view };
}

async function chooseAndConsent(digit = '7') {
  await userEvent.click(screen.getByRole('button', { name: 'Wrong?' }));
  await userEvent.click(screen.getByRole('radio', { name: digit }));
  await userEvent.click(screen.getByRole('checkbox', { name: CONSENT_TEXT }));
}

describe('Correction of a digit', () => {
  it('offers the ten digits, the model’s own answer excluded, and moves the focus to them', async () => {
    renderDigit();
    await userEvent.click(screen.getByRole('button', { name: 'Wrong?' }));
    const group = screen.getByRole('group', { name: 'The right digit' });
    const radios = within(group).getAllByRole('radio');
    expect(radios).toHaveLength(10);
    expect(screen.getByRole('radio', { name: '1, the model’s answer' })).toBeDisabled();
    expect(radios[0]).toHaveFocus();
  });

  it('lets the model’s answer be confirmed when the server doubted it', async () => {
    render(<Harness client={fakeClient()} result={prediction(1)} about={{ ...digitAbout, doubted: true }} />);
    await userEvent.click(screen.getByRole('button', { name: 'Wrong?' }));
    expect(screen.getByRole('radio', { name: '1' })).toBeEnabled();
  });

  it('says exactly what is kept, and sends nothing before consent', async () => {
    const { client } = renderDigit();
    await userEvent.click(screen.getByRole('button', { name: 'Wrong?' }));
    const send = screen.getByRole('button', { name: 'Send' });
    expect(send).toBeDisabled();
    await userEvent.click(screen.getByRole('radio', { name: '7' }));
    expect(send).toBeDisabled(); // a digit, but no consent yet
    await userEvent.keyboard('{Enter}');
    expect(client.sendFeedback).not.toHaveBeenCalled();
    const consent = screen.getByRole('checkbox', { name: 'Keep this image to improve the model. You can delete it with the link shown.' });
    expect(consent).not.toBeChecked();
    await userEvent.click(consent);
    expect(send).toBeEnabled();
  });

  it('needs a digit as well as consent', async () => {
    renderDigit();
    await userEvent.click(screen.getByRole('button', { name: 'Wrong?' }));
    await userEvent.click(screen.getByRole('checkbox', { name: CONSENT_TEXT }));
    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled();
  });

  it('sends the exact image, the digit chosen, what the server answered and its model version', async () => {
    const { client } = renderDigit();
    await chooseAndConsent('7');
    await userEvent.click(screen.getByRole('button', { name: 'Send' }));
    expect(client.sendFeedback).toHaveBeenCalledTimes(1);
    const [sent] = client.sendFeedback.mock.calls[0];
    expect(sent.image).toBe(drawn);
    expect(sent).toMatchObject({ filename: 'drawing.png', kind: 'digit', label: '7', predicted: '1', modelVersion: 'digitnet.cnn@40a38a0f' });
    const message = await screen.findByTestId('correction-message');
    expect(message).toHaveTextContent('Thanks — kept.');
    expect(message).toHaveFocus();
  });

  it('deletes it again with its id and delete token, then says so', async () => {
    const { client } = renderDigit();
    await chooseAndConsent('7');
    await userEvent.click(screen.getByRole('button', { name: 'Send' }));
    await userEvent.click(await screen.findByRole('button', { name: 'Delete it' }));
    expect(client.deleteFeedback).toHaveBeenCalledWith('c0ffee', 'secret-token');
    expect(await screen.findByTestId('correction-message')).toHaveTextContent('Deleted.');
    expect(screen.queryByRole('button', { name: 'Delete it' })).not.toBeInTheDocument();
  });

  it.each([
    [new ApiError('rejected', 'too many corrections; retry in 42 s', { status: 429, code: 'too_many_requests', retryAfter: 42 }), 'Too many corrections — try again in 42 s.'],
    [new ApiError('server', 'the feedback database is unreachable; retry shortly', { status: 503, code: 'storage_unavailable', retryAfter: 5 }), 'Corrections can’t be kept right now. Try again in a moment.'],
    [new ApiError('server', 'no more corrections can be kept now', { status: 507, code: 'storage_full' }), 'Corrections can’t be kept right now: the server’s store of them is full.'],
    [new ApiError('rejected', 'label must be one digit, 0-9', { status: 400, code: 'bad_label' }), 'Not kept: label must be one digit, 0-9'],
    [new ApiError('rejected', 'a correction is kept only with consent=true', { status: 400, code: 'consent_required' }), 'Not kept: a correction is kept only with consent=true'],
  ])('says plainly why it was not kept (%s), and can send again', async (error, shown) => {
    const sendFeedback = vi.fn().mockRejectedValueOnce(error).mockResolvedValueOnce({ id: 'c0ffee', deleteToken: 'secret-token' });
    renderDigit(fakeClient({ sendFeedback }));
    await chooseAndConsent('7');
    await userEvent.click(screen.getByRole('button', { name: 'Send' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(shown);
    expect(screen.getByRole('button', { name: 'Send' })).toHaveFocus();
    expect(screen.getByRole('radio', { name: '7' })).toBeChecked();
    await userEvent.click(screen.getByRole('button', { name: 'Send' }));
    expect(await screen.findByTestId('correction-message')).toHaveTextContent('Thanks — kept.');
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('says when the correction could not be deleted, and keeps the link', async () => {
    const deleteFeedback = vi.fn().mockRejectedValueOnce(new ApiError('server', 'the feedback database is unreachable; retry shortly', { status: 503, code: 'storage_unavailable' }));
    renderDigit(fakeClient({ deleteFeedback }));
    await chooseAndConsent('7');
    await userEvent.click(screen.getByRole('button', { name: 'Send' }));
    await userEvent.click(await screen.findByRole('button', { name: 'Delete it' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('It can’t be deleted right now. Try again in a moment.');
    expect(screen.getByTestId('correction-message')).toHaveTextContent('Thanks — kept.');
    expect(screen.getByRole('button', { name: 'Delete it' })).toBeEnabled();
  });

  it('closes on Cancel, with the focus back on "Wrong?"', async () => {
    renderDigit();
    await userEvent.click(screen.getByRole('button', { name: 'Wrong?' }));
    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.getByRole('button', { name: 'Wrong?' })).toHaveFocus();
    expect(screen.queryByRole('radio')).not.toBeInTheDocument();
  });

  it('starts over for a new answer', async () => {
    const client = fakeClient();
    const { rerender } = render(<Harness client={client} result={prediction(1)} about={digitAbout} />);
    await chooseAndConsent('7');
    await userEvent.click(screen.getByRole('button', { name: 'Send' }));
    await screen.findByText('Thanks — kept.');
    rerender(<Harness client={client} result={prediction(1)} about={digitAbout} />);
    expect(screen.getByRole('button', { name: 'Wrong?' })).toBeInTheDocument();
    expect(screen.queryByText('Thanks — kept.')).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Wrong?' })).not.toHaveFocus(); // a new answer does not move the focus
  });
});

describe('Correction of a number', () => {
  it('holds the text read, to be corrected, and sends it as a number', async () => {
    const client = fakeClient();
    render(<Harness client={client} result={reading('2024')} about={numberAbout} />);
    await userEvent.click(screen.getByRole('button', { name: 'Wrong?' }));
    const field = screen.getByRole('textbox', { name: 'The right number' });
    expect(field).toHaveValue('2024');
    expect(field).toHaveFocus();
    await userEvent.click(screen.getByRole('checkbox', { name: CONSENT_TEXT }));
    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled(); // unchanged
    expect(screen.getByTestId('correction-problem')).toHaveTextContent('what the model read');
    await userEvent.clear(field);
    await userEvent.type(field, '2025{Enter}'); // Enter sends, as a form does
    const [sent] = client.sendFeedback.mock.calls[0];
    expect(sent).toMatchObject({ kind: 'number', label: '2025', predicted: '2024', modelVersion: 'digitnet.cnn@40a38a0f' });
    expect(sent.image).toBe(drawn);
    expect(await screen.findByTestId('correction-message')).toHaveTextContent('Thanks — kept.');
  });

  it('refuses what is not a number, in words', async () => {
    render(<Harness client={fakeClient()} result={reading('2024')} about={numberAbout} />);
    await userEvent.click(screen.getByRole('button', { name: 'Wrong?' }));
    const field = screen.getByRole('textbox', { name: 'The right number' });
    await userEvent.clear(field);
    await userEvent.type(field, 'twenty');
    await userEvent.click(screen.getByRole('checkbox', { name: CONSENT_TEXT }));
    expect(screen.getByTestId('correction-problem')).toHaveTextContent('Use digits and . , - / : only');
    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled();
  });

  it('corrects a reading of several lines in a text area, sent on one line as predicted', async () => {
    const client = fakeClient();
    render(<Harness client={client} result={reading('12')} about={{ ...numberAbout, predicted: '12\n34' }} />);
    await userEvent.click(screen.getByRole('button', { name: 'Wrong?' }));
    const field = screen.getByRole('textbox', { name: 'The right number' });
    expect(field.tagName).toBe('TEXTAREA');
    expect(field).toHaveValue('12\n34');
    await userEvent.type(field, '5');
    await userEvent.click(screen.getByRole('checkbox', { name: CONSENT_TEXT }));
    await userEvent.click(screen.getByRole('button', { name: 'Send' }));
    expect(client.sendFeedback.mock.calls[0][0]).toMatchObject({ label: '12\n345', predicted: '12 34' });
  });
});
