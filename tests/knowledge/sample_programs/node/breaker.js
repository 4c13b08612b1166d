const CircuitBreaker = require('opossum');

async function reserveStock(sku) {
  const res = await fetch(`http://127.0.0.1:9/stock/${sku}`);
  return res.json();
}

const breaker = new CircuitBreaker(reserveStock, { errorThresholdPercentage: 50, resetTimeout: 30000, volumeThreshold: 1 });

async function main() {
  for (let i = 0; i < 3; i++) {
    await breaker.fire('A-100').catch(() => {});
  }
  await breaker.fire('A-100');
}
main();
