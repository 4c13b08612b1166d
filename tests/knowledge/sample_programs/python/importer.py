import psycopg  # the psycopg 3 driver; only psycopg2 is installed
