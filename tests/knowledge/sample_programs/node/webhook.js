function parseWebhook(body) {
  return JSON.parse(body);
}
parseWebhook('<html><body>502 Bad Gateway</body></html>');
