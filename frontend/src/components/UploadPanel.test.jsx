import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import UploadPanel from './UploadPanel.jsx';

const pngFile = () => new File([new Uint8Array(2048)], 'seven.png', { type: 'image/png' });

describe('UploadPanel', () => {
  it('has a labelled file picker and a disabled Predict without a file', () => {
    render(<UploadPanel upload={null} onFile={vi.fn()} onPredict={vi.fn()} />);
    expect(screen.getByLabelText('Choose image…')).toHaveAttribute('type', 'file');
    expect(screen.getByRole('button', { name: 'Predict' })).toBeDisabled();
  });

  it('passes a picked file up', async () => {
    const onFile = vi.fn();
    render(<UploadPanel upload={null} onFile={onFile} onPredict={vi.fn()} />);
    const file = pngFile();
    await userEvent.upload(screen.getByLabelText('Choose image…'), file);
    expect(onFile).toHaveBeenCalledWith({ file, note: null });
  });

  it('passes a dropped file up', () => {
    const onFile = vi.fn();
    render(<UploadPanel upload={null} onFile={onFile} onPredict={vi.fn()} />);
    const file = pngFile();
    fireEvent.drop(screen.getByTestId('dropzone'), { dataTransfer: { files: [file] } });
    expect(onFile).toHaveBeenCalledWith({ file, note: null });
  });

  it('shows a preview with alt text, the file details, and predicts on demand', () => {
    const onPredict = vi.fn();
    const file = pngFile();
    render(<UploadPanel upload={{ file, note: 'pasted from the clipboard' }} onFile={vi.fn()} onPredict={onPredict} />);
    expect(screen.getByAltText('Preview of seven.png')).toBeInTheDocument();
    expect(screen.getByTestId('file-info')).toHaveTextContent('seven.png');
    expect(screen.getByTestId('file-info')).toHaveTextContent('2.0 KB');
    expect(screen.getByTestId('file-info')).toHaveTextContent('pasted from the clipboard');
    fireEvent.click(screen.getByRole('button', { name: 'Predict' }));
    expect(onPredict).toHaveBeenCalledWith(file);
  });

  it('says there is no preview for a file that is not an image', () => {
    const file = new File(['hello'], 'notes.txt', { type: 'text/plain' });
    render(<UploadPanel upload={{ file }} onFile={vi.fn()} onPredict={vi.fn()} />);
    expect(screen.getByText('No preview for this file')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Predict' })).toBeEnabled();
  });

  it('says there is no preview when the image does not load, until another file is chosen', () => {
    const { rerender } = render(<UploadPanel upload={{ file: pngFile() }} onFile={vi.fn()} onPredict={vi.fn()} />);
    fireEvent.error(screen.getByAltText('Preview of seven.png'));
    expect(screen.getByText('No preview for this file')).toBeInTheDocument();
    rerender(<UploadPanel upload={{ file: pngFile() }} onFile={vi.fn()} onPredict={vi.fn()} />);
    expect(screen.getByAltText('Preview of seven.png')).toBeInTheDocument();
  });

  it('disables Predict while busy', () => {
    render(<UploadPanel upload={{ file: pngFile() }} onFile={vi.fn()} onPredict={vi.fn()} busy />);
    expect(screen.getByRole('button', { name: 'Predict' })).toBeDisabled();
  });
});
