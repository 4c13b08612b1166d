const fs = require('fs');
function saveUpload(name, body) {
  fs.writeFileSync(`/var/lib/shop-uploads/${name}`, body);
}
saveUpload('invoice-42.pdf', 'data');
