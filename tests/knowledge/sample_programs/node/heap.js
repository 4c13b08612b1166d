const cache = [];
function remember(order) {
  cache.push({ order, lines: new Array(1000).fill(order) });
}
for (let i = 0; ; i++) remember(i);
