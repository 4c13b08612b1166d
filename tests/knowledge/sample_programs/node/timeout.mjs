async function fetchQuote(sku) {
  const res = await fetch(`http://127.0.0.1:18081/quotes/${sku}`, { signal: AbortSignal.timeout(2000) });
  return res.json();
}
await fetchQuote('A-100');
