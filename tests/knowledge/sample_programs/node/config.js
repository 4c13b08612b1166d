const fs = require('fs');
function loadConfig() {
  return JSON.parse(fs.readFileSync('/etc/shop/config.json', 'utf8'));
}
loadConfig();
