import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, renderHook, screen, waitFor } from '@testing-library/react';
import ServerStatus from './ServerStatus.jsx';
import { ApiError } from '../api.js';
import { useServerStatus } from '../serverStatus.js';
import { fakeClient } from '../test/helpers.js';

// The badge as App shows it: fed by useServerStatus.
function Badge({ client, retryMs }) {
  const { status, retry } = useServerStatus(client, { retryMs });
  return <ServerStatus status={status} onRetry={retry} />;
}

describe('ServerStatus', () => {
  it('shows the model accuracy when the server is ready', async () => {
    render(<Badge client={fakeClient()} />);
    expect(await screen.findByText('Model ready · 99.51% on MNIST test')).toBeInTheDocument();
  });

  it('says the server is unreachable, and Retry asks again', async () => {
    const modelInfo = vi.fn(async () => Promise.reject(new ApiError('network', 'Cannot reach')));
    render(<Badge client={fakeClient({ modelInfo })} />);
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
    render(<Badge client={fakeClient({ modelInfo })} retryMs={10} />);
    expect(await screen.findByText('Loading the model…')).toBeInTheDocument();
    expect(await screen.findByText('Model ready · 99.00% on MNIST test')).toBeInTheDocument();
  });
});

describe('useServerStatus', () => {
  it('says whether the server keeps corrections', async () => {
    const keeping = fakeClient({ modelInfo: async () => ({ feedback: { enabled: true } }) });
    const kept = renderHook(() => useServerStatus(keeping));
    await waitFor(() => expect(kept.result.current.status).toMatchObject({ state: 'ready', feedback: true }));
    const older = fakeClient(); // its /model answer has no "feedback"
    const notKept = renderHook(() => useServerStatus(older));
    await waitFor(() => expect(notKept.result.current.status).toMatchObject({ state: 'ready', feedback: false }));
  });
});
