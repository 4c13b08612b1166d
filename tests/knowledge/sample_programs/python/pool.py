from sqlalchemy import create_engine, text

engine = create_engine("sqlite:////tmp/kb/app/shop.db", pool_size=2, max_overflow=0, pool_timeout=2)
held = [engine.connect(), engine.connect()]  # requests that never return their connection

def order_count():
    with engine.connect() as conn:
        return conn.execute(text("select 1")).scalar()

order_count()
