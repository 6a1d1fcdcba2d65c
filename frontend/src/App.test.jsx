import { describe, expect, it, vi } from 'vitest';
import { act, fireEvent, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import App from './App.jsx';
import { ApiError } from './api.js';
import { CONSENT_TEXT } from './correction.js';
import { fakeClient, keepingCorrections, linesReading, prediction, reading } from './test/helpers.js';

const pngFile = (name = 'seven.png') => new File([new Uint8Array(300)], name, { type: 'image/png' });

describe('App', () => {
  it('opens on the Draw tab, with the tabs reachable by arrow keys', async () => {
    render(<App client={fakeClient()} />);
    const draw = screen.getByRole('tab', { name: 'Draw' });
    expect(draw).toHaveAttribute('aria-selected', 'true');
    expect(screen.getByRole('tabpanel', { name: 'Draw' })).toBeVisible();
    draw.focus();
    fireEvent.keyDown(draw, { key: 'ArrowRight' });
    const upload = screen.getByRole('tab', { name: 'Upload' });
    expect(upload).toHaveAttribute('aria-selected', 'true');
    expect(upload).toHaveFocus();
    expect(screen.getByRole('tabpanel', { name: 'Upload' })).toBeVisible();
    await screen.findByText(/Model ready/);
  });

  it('uploads a file, predicts, and shows the result', async () => {
    const client = fakeClient();
    render(<App client={client} />);
    await userEvent.click(screen.getByRole('tab', { name: 'Upload' }));
    await userEvent.upload(screen.getByLabelText('Choose image…'), pngFile());
    await userEvent.click(screen.getByRole('button', { name: 'Predict' }));
    expect(await screen.findByTestId('predicted-digit')).toHaveTextContent('7');
    expect(screen.getByText('for seven.png')).toBeInTheDocument();
    expect(client.predict).toHaveBeenCalledWith(expect.any(File), expect.objectContaining({ filename: 'seven.png' }));
  });

  it('shows an error plainly and keeps working afterwards', async () => {
    const predict = vi
      .fn()
      .mockRejectedValueOnce(new ApiError('network', 'Cannot reach the recognition server at http://api.test.'))
      .mockResolvedValueOnce(prediction(2, 0.99));
    render(<App client={fakeClient({ predict })} />);
    await userEvent.click(screen.getByRole('tab', { name: 'Upload' }));
    await userEvent.upload(screen.getByLabelText('Choose image…'), pngFile('two.png'));
    await userEvent.click(screen.getByRole('button', { name: 'Predict' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Cannot reach the server');
    await userEvent.click(screen.getByRole('button', { name: 'Predict' }));
    expect(await screen.findByTestId('predicted-digit')).toHaveTextContent('2');
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('takes an image pasted anywhere on the page as the upload', async () => {
    render(<App client={fakeClient()} />);
    const file = pngFile('clip.png');
    const pasteEvent = new Event('paste', { bubbles: true, cancelable: true });
    pasteEvent.clipboardData = { items: [{ kind: 'file', type: 'image/png', getAsFile: () => file }] };
    act(() => {
      document.body.dispatchEvent(pasteEvent);
    });
    expect(screen.getByRole('tab', { name: 'Upload' })).toHaveAttribute('aria-selected', 'true');
    expect(screen.getByTestId('file-info')).toHaveTextContent('clip.png');
    expect(screen.getByTestId('file-info')).toHaveTextContent('pasted from the clipboard');
    expect(pasteEvent.defaultPrevented).toBe(true);
  });

  it('takes a file dropped anywhere on the page as the upload', () => {
    render(<App client={fakeClient()} />);
    const file = pngFile('dropped.png');
    const dropEvent = new Event('drop', { bubbles: true, cancelable: true });
    dropEvent.dataTransfer = { files: [file] };
    act(() => {
      document.querySelector('footer').dispatchEvent(dropEvent);
    });
    expect(dropEvent.defaultPrevented).toBe(true);
    expect(screen.getByRole('tab', { name: 'Upload' })).toHaveAttribute('aria-selected', 'true');
    expect(screen.getByTestId('file-info')).toHaveTextContent('dropped.png');
  });

  it('draws, predicts live, and clears the drawing result with Clear', async () => {
    const client = fakeClient({ predict: vi.fn(async () => prediction(1, 0.93)) });
    render(<App client={client} />);
    const canvas = screen.getByTestId('draw-canvas');
    fireEvent.pointerDown(canvas, { pointerId: 1, button: 0, clientX: 140, clientY: 40 });
    fireEvent.pointerMove(canvas, { pointerId: 1, clientX: 140, clientY: 240 });
    fireEvent.pointerUp(canvas, { pointerId: 1 });
    expect(await screen.findByTestId('predicted-digit', {}, { timeout: 2000 })).toHaveTextContent('1');
    expect(client.predict.mock.calls[0][1].filename).toBe('drawing.png');
    await userEvent.click(screen.getByRole('button', { name: 'Clear' }));
    expect(screen.queryByTestId('predicted-digit')).not.toBeInTheDocument();
    expect(screen.getByText(/appears here/)).toBeInTheDocument();
  });

  it('loads a random MNIST test digit, shows it as the upload and predicts it', async () => {
    const idx = (dims, data) => {
      const header = new Uint8Array(4 + 4 * dims.length);
      header[2] = 8;
      header[3] = dims.length;
      dims.forEach((d, i) => new DataView(header.buffer).setUint32(4 + 4 * i, d));
      return new Uint8Array([...header, ...data]);
    };
    const files = {
      't10k-images-100.idx': idx([2, 28, 28], new Uint8Array(2 * 784).fill(128)),
      't10k-labels-100.idx': idx([2], [3, 5]),
    };
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (url) => new Response(files[String(url).split('/').pop()]));
    const client = fakeClient({ predict: vi.fn(async () => prediction(5, 0.99)) });
    render(<App client={client} random={() => 0.9} />);
    await userEvent.click(screen.getByRole('tab', { name: 'Upload' }));
    await userEvent.click(screen.getByRole('button', { name: 'Random test digit' }));
    expect(await screen.findByTestId('predicted-digit')).toHaveTextContent('5');
    expect(screen.getByTestId('file-info')).toHaveTextContent('mnist-test-1.png');
    expect(screen.getByTestId('file-info')).toHaveTextContent('MNIST test digit, labelled 5');
  });

  it('reads a number drawn on the wide canvas in Number mode', async () => {
    const client = fakeClient({ read: vi.fn(async () => reading('2024', 0.96)) });
    render(<App client={client} />);
    await userEvent.click(screen.getByRole('tab', { name: 'Number' }));
    expect(screen.getByRole('tabpanel', { name: 'Number' })).toBeVisible();
    const canvas = screen.getByTestId('number-canvas');
    fireEvent.pointerDown(canvas, { pointerId: 1, button: 0, clientX: 100, clientY: 40 });
    fireEvent.pointerMove(canvas, { pointerId: 1, clientX: 100, clientY: 240 });
    fireEvent.pointerUp(canvas, { pointerId: 1 });
    await userEvent.click(screen.getByRole('button', { name: 'Read' }));
    expect(await screen.findByTestId('number-text')).toHaveTextContent('2024');
    expect(screen.getByTestId('number-confidence')).toHaveTextContent('96% confident');
    expect(await screen.findAllByTestId('digit-box')).toHaveLength(4);
    expect(client.read.mock.calls[0][1].filename).toBe('drawing.png');
    expect(client.predict).not.toHaveBeenCalled();
  });

  it('reads a photo chosen in Number mode at once', async () => {
    const client = fakeClient();
    render(<App client={client} />);
    await userEvent.click(screen.getByRole('tab', { name: 'Number' }));
    await userEvent.upload(screen.getByLabelText('Choose a photo…'), pngFile('meter.png'));
    expect(await screen.findByTestId('number-text')).toHaveTextContent('2024');
    expect(screen.getByText('for meter.png')).toBeInTheDocument();
    expect(screen.getByTestId('number-file-info')).toHaveTextContent('meter.png');
    expect(client.read).toHaveBeenCalledWith(expect.any(File), expect.objectContaining({ filename: 'meter.png' }));
  });

  it('empties the wide canvas when a photo is chosen in Number mode, so that no old drawing stays beside its reading', async () => {
    const client = fakeClient({ read: vi.fn(async () => reading('2024', 0.96)) });
    render(<App client={client} />);
    await userEvent.click(screen.getByRole('tab', { name: 'Number' }));
    const canvas = screen.getByTestId('number-canvas');
    fireEvent.pointerDown(canvas, { pointerId: 1, button: 0, clientX: 100, clientY: 40 });
    fireEvent.pointerMove(canvas, { pointerId: 1, clientX: 100, clientY: 240 });
    fireEvent.pointerUp(canvas, { pointerId: 1 });
    await userEvent.click(screen.getByRole('button', { name: 'Read' }));
    expect(await screen.findByText('for your drawing')).toBeInTheDocument();
    expect(canvas).toHaveAccessibleName('Drawing area with 1 stroke');
    const painted = canvas.getContext('2d').fillRect.mock.calls.length;
    await userEvent.upload(screen.getByLabelText('Choose a photo…'), pngFile('meter.png'));
    expect(await screen.findByText('for meter.png')).toBeInTheDocument();
    expect(canvas).toHaveAccessibleName('Drawing area, empty');
    expect(canvas.getContext('2d').fillRect.mock.calls.length).toBeGreaterThan(painted); // repainted blank
    expect(screen.getByRole('tabpanel', { name: 'Number' }).querySelector('.btn-primary')).toBeDisabled();
    expect(client.read).toHaveBeenCalledTimes(2);
    expect(client.read.mock.calls[1][1].filename).toBe('meter.png');
  });

  it('shows a drawing read as two lines as two rows, and in the readout under the canvas', async () => {
    const client = fakeClient({ read: vi.fn(async () => linesReading(['314', '27'], 0.9)) });
    render(<App client={client} />);
    await userEvent.click(screen.getByRole('tab', { name: 'Number' }));
    const canvas = screen.getByTestId('number-canvas');
    fireEvent.pointerDown(canvas, { pointerId: 1, button: 0, clientX: 100, clientY: 40 });
    fireEvent.pointerMove(canvas, { pointerId: 1, clientX: 100, clientY: 240 });
    fireEvent.pointerUp(canvas, { pointerId: 1 });
    await userEvent.click(screen.getByRole('button', { name: 'Read' }));
    const rows = await screen.findAllByTestId('number-line');
    expect(rows.map((row) => row.textContent)).toEqual(['314', '27']);
    const readout = document.querySelector('.inline-result.is-number');
    expect([...readout.querySelectorAll('strong')].map((el) => el.textContent)).toEqual(['314', '27']);
  });

  it('reads an image pasted in Number mode as a number', async () => {
    const client = fakeClient();
    render(<App client={client} />);
    await userEvent.click(screen.getByRole('tab', { name: 'Number' }));
    const pasteEvent = new Event('paste', { bubbles: true, cancelable: true });
    pasteEvent.clipboardData = { items: [{ kind: 'file', type: 'image/png', getAsFile: () => pngFile('clip.png') }] };
    act(() => {
      document.body.dispatchEvent(pasteEvent);
    });
    expect(await screen.findByTestId('number-text')).toHaveTextContent('2024');
    expect(screen.getByRole('tab', { name: 'Number' })).toHaveAttribute('aria-selected', 'true');
    expect(client.predict).not.toHaveBeenCalled();
  });

  it('offers to read an upload of several digits as a number, and reads the same file', async () => {
    const client = fakeClient({ predict: vi.fn(async () => ({ ...prediction(2, 0.9), digitCount: 4 })) });
    render(<App client={client} />);
    await userEvent.click(screen.getByRole('tab', { name: 'Upload' }));
    const file = pngFile('year.png');
    await userEvent.upload(screen.getByLabelText('Choose image…'), file);
    await userEvent.click(screen.getByRole('button', { name: 'Predict' }));
    expect(await screen.findByTestId('number-offer')).toHaveTextContent('This looks like 4 digits');
    await userEvent.click(screen.getByRole('button', { name: 'Read it as a number' }));
    expect(screen.getByRole('tab', { name: 'Number' })).toHaveAttribute('aria-selected', 'true');
    expect(await screen.findByTestId('number-text')).toHaveTextContent('2024');
    expect(client.read.mock.calls[0][0]).toBe(file);
  });

  it('offers to read a drawing of several digits as a number, and moves the drawing onto the wide canvas', async () => {
    const client = fakeClient({ predict: vi.fn(async () => ({ ...prediction(1, 0.9), digitCount: 2 })) });
    render(<App client={client} />);
    const canvas = screen.getByTestId('draw-canvas');
    for (const [id, x] of [[1, 80], [2, 200]]) {
      fireEvent.pointerDown(canvas, { pointerId: id, button: 0, clientX: x, clientY: 40 });
      fireEvent.pointerMove(canvas, { pointerId: id, clientX: x, clientY: 240 });
      fireEvent.pointerUp(canvas, { pointerId: id });
    }
    await userEvent.click(screen.getByRole('tabpanel', { name: 'Draw' }).querySelector('.btn-primary'));
    await userEvent.click(await screen.findByRole('button', { name: 'Read it as a number' }));
    expect(screen.getByTestId('number-canvas')).toHaveAccessibleName('Drawing area with 2 strokes');
    expect(await screen.findByTestId('number-text')).toHaveTextContent('2024');
    expect(client.read.mock.calls[0][1].filename).toBe('drawing.png');
  });

  it('says plainly when a drawing is not a digit', async () => {
    const client = fakeClient({ predict: vi.fn(async () => ({ ...prediction(3, 0.41), isDigit: false, reason: 'not_a_digit' })) });
    render(<App client={client} />);
    const canvas = screen.getByTestId('draw-canvas');
    fireEvent.pointerDown(canvas, { pointerId: 1, button: 0, clientX: 40, clientY: 40 });
    fireEvent.pointerMove(canvas, { pointerId: 1, clientX: 240, clientY: 240 });
    fireEvent.pointerUp(canvas, { pointerId: 1 });
    expect(await screen.findByTestId('not-a-digit', {}, { timeout: 2000 })).toHaveTextContent('This doesn’t look like a digit');
    expect(screen.getByTestId('best-guess')).toHaveTextContent('best guess: 3, 41%');
    expect(screen.queryByTestId('predicted-digit')).not.toBeInTheDocument();
  });
});

describe('App: correcting an answer', () => {
  const drawStroke = (canvas, x = 140) => {
    fireEvent.pointerDown(canvas, { pointerId: 1, button: 0, clientX: x, clientY: 40 });
    fireEvent.pointerMove(canvas, { pointerId: 1, clientX: x, clientY: 240 });
    fireEvent.pointerUp(canvas, { pointerId: 1 });
  };

  it('offers no "Wrong?" when the server does not keep corrections', async () => {
    render(<App client={fakeClient()} />);
    await screen.findByText(/Model ready/);
    drawStroke(screen.getByTestId('draw-canvas'));
    expect(await screen.findByTestId('predicted-digit', {}, { timeout: 2000 })).toHaveTextContent('7');
    expect(screen.queryByRole('button', { name: 'Wrong?' })).not.toBeInTheDocument();
    expect(screen.getByText(/Images are not stored\./)).toBeInTheDocument();
  });

  it('corrects a drawing with the very PNG that was sent to /predict, then deletes it', async () => {
    const client = keepingCorrections({ predict: vi.fn(async () => ({ ...prediction(1, 0.93), modelVersion: 'digitnet.cnn@40a38a0f' })) });
    render(<App client={client} />);
    await screen.findByText(/Model ready/);
    expect(screen.getByText(/unless you send one as a correction/)).toBeInTheDocument();
    drawStroke(screen.getByTestId('draw-canvas'));
    expect(await screen.findByTestId('predicted-digit', {}, { timeout: 2000 })).toHaveTextContent('1');
    await userEvent.click(screen.getByRole('button', { name: 'Wrong?' }));
    await userEvent.click(screen.getByRole('radio', { name: '7' }));
    await userEvent.click(screen.getByRole('checkbox', { name: CONSENT_TEXT }));
    await userEvent.click(screen.getByRole('button', { name: 'Send' }));
    const [sent] = client.sendFeedback.mock.calls[0];
    expect(sent.image).toBe(client.predict.mock.calls[0][0]);
    expect(sent).toMatchObject({ kind: 'digit', label: '7', predicted: '1', filename: 'drawing.png', modelVersion: 'digitnet.cnn@40a38a0f' });
    expect(await screen.findByText('Thanks — kept.')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Delete it' }));
    expect(client.deleteFeedback).toHaveBeenCalledWith('c0ffee', 'secret-token');
    expect(await screen.findByText('Deleted.')).toBeInTheDocument();
  });

  it('starts over for a new answer, and keeps the correction across a switch of tabs', async () => {
    const client = keepingCorrections();
    render(<App client={client} />);
    await screen.findByText(/Model ready/);
    await userEvent.click(screen.getByRole('tab', { name: 'Upload' }));
    await userEvent.upload(screen.getByLabelText('Choose image…'), pngFile());
    await userEvent.click(screen.getByRole('button', { name: 'Predict' }));
    await userEvent.click(await screen.findByRole('button', { name: 'Wrong?' }));
    await userEvent.click(screen.getByRole('radio', { name: '4' }));
    await userEvent.click(screen.getByRole('checkbox', { name: CONSENT_TEXT }));
    await userEvent.click(screen.getByRole('button', { name: 'Send' }));
    expect(client.sendFeedback.mock.calls[0][0]).toMatchObject({ filename: 'seven.png', label: '4', predicted: '7' });
    await screen.findByText('Thanks — kept.');

    await userEvent.click(screen.getByRole('tab', { name: 'Number' }));
    await userEvent.click(screen.getByRole('tab', { name: 'Upload' }));
    expect(screen.getByText('Thanks — kept.')).toBeInTheDocument();

    await userEvent.upload(screen.getByLabelText('Choose image…'), pngFile('another.png'));
    await userEvent.click(screen.getByRole('button', { name: 'Predict' }));
    await screen.findByText('for another.png');
    expect(await screen.findByRole('button', { name: 'Wrong?' })).toBeInTheDocument();
    expect(screen.queryByText('Thanks — kept.')).not.toBeInTheDocument();
  });

  it('corrects a number read from a photo, the field holding the text read', async () => {
    const client = keepingCorrections({ read: vi.fn(async () => ({ ...reading('2024', 0.96), modelVersion: 'digitnet.cnn@40a38a0f' })) });
    render(<App client={client} />);
    await screen.findByText(/Model ready/);
    await userEvent.click(screen.getByRole('tab', { name: 'Number' }));
    const photo = pngFile('meter.png');
    await userEvent.upload(screen.getByLabelText('Choose a photo…'), photo);
    await userEvent.click(await screen.findByRole('button', { name: 'Wrong?' }));
    const field = screen.getByRole('textbox', { name: 'The right number' });
    expect(field).toHaveValue('2024');
    await userEvent.clear(field);
    await userEvent.type(field, '2021');
    await userEvent.click(screen.getByRole('checkbox', { name: CONSENT_TEXT }));
    await userEvent.click(screen.getByRole('button', { name: 'Send' }));
    const [sent] = client.sendFeedback.mock.calls[0];
    expect(sent.image).toBe(photo);
    expect(sent).toMatchObject({ kind: 'number', label: '2021', predicted: '2024', filename: 'meter.png', modelVersion: 'digitnet.cnn@40a38a0f' });
    expect(await screen.findByText('Thanks — kept.')).toBeInTheDocument();
  });
});
