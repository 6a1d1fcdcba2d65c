// How the page writes numbers: probabilities as percentages, file sizes in B, KB, MB.

export function formatPercent(p) {
  if (p >= 0.9995) return '100%';
  if (p < 0.0005) return '0%';
  return `${(p * 100).toFixed(p < 0.1 ? 1 : 0)}%`;
}

export function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
