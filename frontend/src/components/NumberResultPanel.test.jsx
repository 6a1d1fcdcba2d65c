import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/react';
import NumberResultPanel from './NumberResultPanel.jsx';
import { linesReading, reading } from '../test/helpers.js';

const drawing = { kind: 'drawing', label: 'your drawing', image: new Blob(['png'], { type: 'image/png' }), size: { width: 840, height: 280 } };
const photo = { kind: 'upload', label: 'year.jpg', image: new File(['jpg'], 'year.jpg', { type: 'image/jpeg' }) };
const percentOf = (el, property) => parseFloat(el.style[property]);
const done = (result, about = drawing) => ({ status: 'done', result, error: null, source: about, resultSource: about });

describe('NumberResultPanel', () => {
  it('invites the user before anything is read', () => {
    render(<NumberResultPanel state={{ status: 'idle', result: null, error: null, source: null, resultSource: null }} />);
    expect(screen.getByText(/reading appears here/)).toBeInTheDocument();
  });

  it('shows the number large, its confidence, a box per digit over the drawing and each 28×28', () => {
    render(<NumberResultPanel state={done(reading('2024', 0.97))} />);
    expect(screen.getByTestId('number-text')).toHaveTextContent('2024');
    expect(screen.getByTestId('number-confidence')).toHaveTextContent('97% confident');
    const boxes = screen.getAllByTestId('digit-box');
    expect(boxes).toHaveLength(4);
    // The helper's boxes: [20 + 80 i, 10, 60, 100] in an 840 × 280 drawing.
    expect(percentOf(boxes[1], 'left')).toBeCloseTo((100 * 100) / 840, 2);
    expect(percentOf(boxes[1], 'top')).toBeCloseTo((100 * 10) / 280, 2);
    expect(percentOf(boxes[1], 'width')).toBeCloseTo((100 * 60) / 840, 2);
    expect(percentOf(boxes[1], 'height')).toBeCloseTo((100 * 100) / 280, 2);
    expect(boxes[3]).toHaveTextContent('4 97%');
    const tiles = within(screen.getByTestId('digit-tiles')).getAllByRole('listitem');
    expect(tiles).toHaveLength(4);
    expect(within(tiles[0]).getByRole('img', { name: /28 by 28 image of digit 1, read as 2/ })).toBeInTheDocument();
    expect(screen.getByText('for your drawing')).toBeInTheDocument();
    expect(screen.queryByTestId('number-low-confidence')).not.toBeInTheDocument();
  });

  it("places the boxes over a photo once its size is known, in the photo's own pixels", () => {
    render(<NumberResultPanel state={done(reading('17'), photo)} />);
    expect(screen.queryAllByTestId('digit-box')).toHaveLength(0);
    const img = screen.getByRole('img', { name: /image that was read/ });
    Object.defineProperty(img, 'naturalWidth', { value: 400 });
    Object.defineProperty(img, 'naturalHeight', { value: 200 });
    fireEvent.load(img);
    const boxes = screen.getAllByTestId('digit-box');
    expect(boxes).toHaveLength(2);
    expect(percentOf(boxes[1], 'left')).toBeCloseTo(25, 2); // x = 100 of 400
    expect(percentOf(boxes[1], 'height')).toBeCloseTo(50, 2); // h = 100 of 200
    expect(screen.getByTestId('annotated-image').style.getPropertyValue('--aspect')).toBe('2');
  });

  it("waits for the next photo's size before placing its boxes", () => {
    const { rerender } = render(<NumberResultPanel state={done(reading('17'), photo)} />);
    const img = screen.getByRole('img', { name: /image that was read/ });
    Object.defineProperty(img, 'naturalWidth', { value: 400, configurable: true });
    Object.defineProperty(img, 'naturalHeight', { value: 200, configurable: true });
    fireEvent.load(img);
    expect(screen.getAllByTestId('digit-box')).toHaveLength(2);
    const next = { ...photo, image: new File(['jpg 2'], 'next.jpg', { type: 'image/jpeg' }) };
    rerender(<NumberResultPanel state={done(reading('17'), next)} />);
    expect(screen.queryAllByTestId('digit-box')).toHaveLength(0);
  });

  it('draws the marks the server ignored, labelled "ignored"', () => {
    const result = { ...reading('7'), ignored: [{ box: [300, 20, 50, 50], reason: 'not_a_digit' }] };
    render(<NumberResultPanel state={done(result)} />);
    const ignored = screen.getByTestId('ignored-box');
    expect(ignored).toHaveClass('is-ignored');
    expect(ignored).toHaveTextContent('ignored');
    expect(screen.getAllByTestId('digit-box')).toHaveLength(1);
  });

  it('says so when nothing in the image is a digit', () => {
    const result = { text: '', confidence: 0, digits: [], ignored: [{ box: [10, 10, 50, 50], reason: 'not_a_digit' }] };
    render(<NumberResultPanel state={done(result)} />);
    expect(screen.getByTestId('no-digits')).toHaveTextContent('No digits found');
    expect(screen.queryByTestId('number-text')).not.toBeInTheDocument();
    expect(screen.queryByTestId('digit-tiles')).not.toBeInTheDocument();
    expect(screen.getByTestId('ignored-box')).toBeInTheDocument();
  });

  it('names the least certain digit when the server is unsure of one', () => {
    const result = reading('381', 0.95);
    result.confidence = 0.42;
    Object.assign(result.digits[1], { confidence: 0.44, isDigit: false, reason: 'low_confidence' });
    render(<NumberResultPanel state={done(result)} />);
    expect(screen.getByTestId('number-low-confidence')).toHaveTextContent('the least certain is the 8 in place 2 (44%)');
    expect(screen.getAllByTestId('digit-box')[1]).toHaveClass('is-unsure');
    expect(screen.getAllByTestId('digit-box')[0]).not.toHaveClass('is-unsure');
  });

  it('takes the server at its word: no hint while it is sure of every digit, however low the confidences', () => {
    const result = reading('57', 0.3);
    result.confidence = 0.09;
    render(<NumberResultPanel state={done(result)} />);
    expect(screen.queryByTestId('number-low-confidence')).not.toBeInTheDocument();
    expect(screen.getAllByTestId('digit-box')[0]).not.toHaveClass('is-unsure');
  });

  it('keeps the label of a box at the right edge over the image', () => {
    const result = { ...reading('7'), ignored: [{ box: [780, 20, 50, 50] }] };
    render(<NumberResultPanel state={done(result)} />);
    expect(screen.getByTestId('ignored-box')).toHaveClass('is-right');
    expect(screen.getByTestId('digit-box')).not.toHaveClass('is-right');
  });

  it('keeps the previous reading, dimmed, on its own image while a new one runs', () => {
    const newer = { ...drawing, image: new Blob(['newer']) };
    const { container } = render(
      <NumberResultPanel state={{ status: 'loading', result: reading('12'), error: null, source: newer, resultSource: drawing }} />,
    );
    expect(container.querySelector('.number-body')).toHaveClass('is-stale');
    expect(screen.getByRole('status', { name: 'Recognising' })).toBeInTheDocument();
    expect(screen.getAllByTestId('digit-box')).toHaveLength(2);
  });

  it('shows each line read as a row of its own, top to bottom, punctuation kept', () => {
    render(<NumberResultPanel state={done(linesReading(['3.14', '27'], 0.83))} />);
    const rows = within(screen.getByTestId('number-text')).getAllByTestId('number-line');
    expect(rows.map((row) => row.textContent)).toEqual(['3.14', '27']);
    expect(screen.getByText('Number read, 2 lines')).toBeInTheDocument();
    expect(screen.getByTestId('number-confidence')).toHaveTextContent('83% confident');
    expect(screen.queryByTestId('number-turned')).not.toBeInTheDocument();
  });

  it.each([['12/05'], ['-7,5'], ['10:30']])('keeps the marks of %s in the reading', (text) => {
    render(<NumberResultPanel state={done(linesReading([text]))} />);
    expect(screen.getByTestId('number-line')).toHaveTextContent(text);
  });

  it('draws a box per character, marks in a style of their own, and keeps a tile per digit', () => {
    const result = { ...linesReading(['3.14', '27']), ignored: [{ box: [600, 20, 40, 40], reason: 'not_a_digit' }] };
    render(<NumberResultPanel state={done(result)} />);
    const digits = screen.getAllByTestId('digit-box');
    const marks = screen.getAllByTestId('mark-box');
    expect(digits).toHaveLength(5);
    expect(marks).toHaveLength(1);
    expect(digits.map((box) => box.querySelector('.digit-box-label').firstChild.textContent)).toEqual(['3', '1', '4', '2', '7']);
    expect(marks[0]).toHaveClass('is-mark');
    expect(marks[0]).toHaveTextContent(/^\.$/);
    expect(marks[0]).toHaveAttribute('title', 'point, 90%');
    expect(digits[0]).not.toHaveClass('is-mark');
    // The point: [20 + 80 + 20, 10, 20, 100]; the 2 starts the second line, at y = 140, in an 840 × 280 drawing.
    expect(percentOf(marks[0], 'left')).toBeCloseTo((100 * 120) / 840, 2);
    expect(percentOf(marks[0], 'width')).toBeCloseTo((100 * 20) / 840, 2);
    expect(percentOf(digits[3], 'top')).toBeCloseTo((100 * 140) / 280, 2);
    expect(percentOf(digits[3], 'left')).toBeCloseTo((100 * 20) / 840, 2);
    expect(screen.getByTestId('ignored-box')).toHaveClass('is-ignored');
    expect(within(screen.getByTestId('digit-tiles')).getAllByRole('listitem')).toHaveLength(5);
  });

  it("keeps each line's labels off the other lines: the last line's under its boxes, a middle line's inside them", () => {
    const { rerender } = render(<NumberResultPanel state={done(linesReading(['7']))} />);
    expect(screen.getByTestId('digit-box').className).toBe('digit-box');
    rerender(<NumberResultPanel state={done(linesReading(['1', '2', '3']))} />);
    const [first, middle, last] = screen.getAllByTestId('digit-box');
    expect(first).not.toHaveClass('label-below', 'label-inside');
    expect(middle).toHaveClass('label-inside');
    expect(last).toHaveClass('label-below');
    expect(screen.getByTestId('annotated-image')).toHaveClass('is-lines');
  });

  it('marks the unsure digit by its entry in digits, and names its place among the characters of its line', () => {
    const result = linesReading(['3.14', '27']);
    Object.assign(result.digits[3], { confidence: 0.4, isDigit: false, reason: 'low_confidence' });
    render(<NumberResultPanel state={done(result)} />);
    const digits = screen.getAllByTestId('digit-box');
    expect(digits[3]).toHaveClass('is-unsure');
    expect(digits.filter((box) => box.classList.contains('is-unsure'))).toHaveLength(1);
    expect(screen.getByTestId('number-low-confidence')).toHaveTextContent('the least certain is the 2 in place 1 of line 2 (40%)');
  });

  it.each([
    [90, 'The picture was turned 90° clockwise to read it.'],
    [180, 'The picture was turned upside down (180°) to read it.'],
    [270, 'The picture was turned 90° anticlockwise to read it.'],
  ])('says plainly that the picture was turned (%i°), the boxes staying on the picture as shown', (orientation, note) => {
    const result = linesReading(['314'], 0.9, { orientation });
    render(<NumberResultPanel state={done(result, photo)} />);
    expect(screen.getByTestId('number-turned')).toHaveTextContent(note);
    const img = screen.getByRole('img', { name: /image that was read/ });
    Object.defineProperty(img, 'naturalWidth', { value: 400 });
    Object.defineProperty(img, 'naturalHeight', { value: 200 });
    fireEvent.load(img);
    const boxes = screen.getAllByTestId('digit-box');
    expect(boxes).toHaveLength(3);
    expect(percentOf(boxes[1], 'left')).toBeCloseTo(25, 2); // x = 100 of 400, as the server gave it
  });

  it('reads an answer of an older server, without lines, from its text and digits', () => {
    const result = reading('2024', 0.97);
    expect(result.lines).toBeUndefined();
    render(<NumberResultPanel state={done(result)} />);
    expect(screen.getAllByTestId('number-line').map((row) => row.textContent)).toEqual(['2024']);
    expect(screen.getByText('Number read')).toBeInTheDocument();
    expect(screen.getAllByTestId('digit-box')).toHaveLength(4);
    expect(screen.queryAllByTestId('mark-box')).toHaveLength(0);
    expect(screen.queryByTestId('number-turned')).not.toBeInTheDocument();
  });

  it('shows a reading of marks alone, without digit tiles', () => {
    const result = linesReading(['-']);
    render(<NumberResultPanel state={done(result)} />);
    expect(screen.getByTestId('number-line')).toHaveTextContent('-');
    expect(screen.getAllByTestId('mark-box')).toHaveLength(1);
    expect(screen.queryByTestId('digit-tiles')).not.toBeInTheDocument();
    expect(screen.queryByTestId('no-digits')).not.toBeInTheDocument();
  });

  it.each([
    [{ kind: 'rejected', code: 'empty_image', status: 422, message: 'the image holds no ink (it is blank or uniform)' }, 'No ink found'],
    [{ kind: 'server', code: 'not_ready', status: 503, message: 'the model is still loading; retry shortly' }, 'The model is still loading'],
  ])('shows errors plainly, like the single-digit mode', (error, title) => {
    render(<NumberResultPanel state={{ status: 'error', result: null, error, source: drawing, resultSource: null }} />);
    expect(screen.getByRole('alert')).toHaveTextContent(title);
    expect(screen.getByRole('alert')).toHaveTextContent(error.message);
  });
});
