// The fields of a multipart/form-data body as the browser sent it (Playwright's request.postDataBuffer()):
// { name: { filename, contentType, data (Buffer) } }, so that the end-to-end test can compare the bytes the
// page sent in two requests.
export function multipartFields(body, contentType) {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType || '');
  if (!body || !boundary) throw new Error(`not a multipart body (Content-Type: ${contentType})`);
  const delimiter = Buffer.from(`--${boundary[1] || boundary[2]}`);
  const fields = {};
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break; // the closing delimiter
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start + 2, next - 2); // without the CRLF after the delimiter and before the next
    const headerEnd = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, headerEnd).toString('latin1');
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    if (name !== undefined) {
      fields[name] = {
        filename: /filename="([^"]*)"/i.exec(headers)?.[1] ?? null,
        contentType: /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1] ?? null,
        data: part.subarray(headerEnd + 4),
      };
    }
    at = next;
  }
  return fields;
}
