-- CSV written by Arrow: strings always quoted, nulls as empty unquoted fields (NULL here).
COPY {table} ({columns}) FROM STDIN (FORMAT csv)
