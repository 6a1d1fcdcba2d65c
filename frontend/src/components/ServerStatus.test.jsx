import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import ServerStatus from './ServerStatus.jsx';
import { ApiError } from '../api.js';
import { fakeClient } from '../test/helpers.js';

describe('ServerStatus', () => {
  it('shows the model accuracy when the server is ready', async () => {
    render(<ServerStatus client={fakeClient()} />);
    expect(await screen.findByText('Model ready · 99.51% on MNIST test')).toBeInTheDocument();
  });

  it('says the server is unreachable, and Retry asks again', async () => {
    const modelInfo = vi.fn(async () => Promise.reject(new ApiError('network', 'Cannot reach')));
    render(<ServerStatus client={fakeClient({ modelInfo })} />);
    expect(await screen.findByText('Server unreachable')).toBeInTheDocument();
    modelInfo.mockResolvedValueOnce({});
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findByText('Model ready')).toBeInTheDocument();
  });

  it('waits while the model loads (503), then shows it ready', async () => {
    const modelInfo = vi
      .fn()
      .mockRejectedValueOnce(new ApiError('server', 'model not loaded yet', { status: 503 }))
      .mockResolvedValueOnce({ training: { test_accuracy: '0.99' } });
    render(<ServerStatus client={fakeClient({ modelInfo })} retryMs={10} />);
    expect(await screen.findByText('Loading the model…')).toBeInTheDocument();
    expect(await screen.findByText('Model ready · 99.00% on MNIST test')).toBeInTheDocument();
  });
});
