-- The sample database: a small shop, realistic enough to explore joins, views, indexes,
-- foreign keys and a trigger without any server. Deterministic: the same data every time.
PRAGMA foreign_keys = ON;
BEGIN;

CREATE TABLE categories (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  parent_id   INTEGER REFERENCES categories(id) ON DELETE SET NULL
);

CREATE TABLE products (
  id          INTEGER PRIMARY KEY,
  sku         TEXT NOT NULL UNIQUE,
  name        TEXT NOT NULL,
  category_id INTEGER NOT NULL REFERENCES categories(id),
  price       NUMERIC NOT NULL CHECK (price >= 0),
  stock       INTEGER NOT NULL DEFAULT 0,
  created_at  TEXT NOT NULL DEFAULT (datetime('now'))
);

CREATE TABLE customers (
  id            INTEGER PRIMARY KEY,
  email         TEXT NOT NULL UNIQUE,
  first_name    TEXT NOT NULL,
  last_name     TEXT NOT NULL,
  country       TEXT NOT NULL,
  city          TEXT,
  signed_up_at  TEXT NOT NULL,
  is_vip        INTEGER NOT NULL DEFAULT 0 CHECK (is_vip IN (0, 1)),
  notes         TEXT
);

CREATE TABLE employees (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  title       TEXT NOT NULL,
  manager_id  INTEGER REFERENCES employees(id),
  hired_on    TEXT NOT NULL
);

CREATE TABLE orders (
  id           INTEGER PRIMARY KEY,
  customer_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  handled_by   INTEGER REFERENCES employees(id),
  status       TEXT NOT NULL CHECK (status IN ('new', 'paid', 'shipped', 'delivered', 'cancelled')),
  ordered_at   TEXT NOT NULL,
  shipped_at   TEXT,
  metadata     TEXT CHECK (metadata IS NULL OR json_valid(metadata))
);

CREATE TABLE order_items (
  order_id    INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  product_id  INTEGER NOT NULL REFERENCES products(id),
  quantity    INTEGER NOT NULL CHECK (quantity > 0),
  unit_price  NUMERIC NOT NULL,
  PRIMARY KEY (order_id, product_id)
) WITHOUT ROWID;

CREATE INDEX idx_products_category ON products(category_id);
CREATE INDEX idx_orders_customer ON orders(customer_id);
CREATE INDEX idx_orders_status_date ON orders(status, ordered_at DESC);
CREATE INDEX idx_order_items_product ON order_items(product_id);
CREATE INDEX idx_customers_country ON customers(country) WHERE is_vip = 1;

INSERT INTO categories (id, name, parent_id) VALUES
  (1, 'Kitchen', NULL), (2, 'Garden', NULL), (3, 'Office', NULL), (4, 'Outdoor', NULL),
  (5, 'Cookware', 1), (6, 'Knives', 1), (7, 'Tableware', 1), (8, 'Tools', 2),
  (9, 'Seeds', 2), (10, 'Paper', 3), (11, 'Desks', 3), (12, 'Camping', 4);

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 240),
  adjective(k, word) AS (SELECT key, value FROM json_each('["Classic","Compact","Deluxe","Eco","Heavy","Light","Pro","Rustic","Smart","Steel","Bamboo","Copper"]')),
  noun(k, word) AS (SELECT key, value FROM json_each('["Pan","Knife","Bowl","Spade","Pot","Planter","Notebook","Lamp","Chair","Tent","Mug","Kettle","Shears","Tray","Board"]'))
INSERT INTO products (id, sku, name, category_id, price, stock, created_at)
SELECT i,
       printf('HG-%05d', i * 37),
       (SELECT word FROM adjective WHERE k = i % 12) || ' ' || (SELECT word FROM noun WHERE k = (i * 7) % 15),
       5 + i % 8,
       round(4.5 + (i * 7919 % 20000) / 100.0, 2),
       (i * 31) % 180,
       datetime('2023-01-01', '+' || (i * 3) || ' days', '+' || (i * 97 % 86400) || ' seconds')
  FROM n;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500),
  first(k, word) AS (SELECT key, value FROM json_each('["Ada","Grace","Linus","Margaret","Dennis","Barbara","Ken","Frances","Edsger","Radia","Guido","Anita","Tim","Hedy","Alan","Katherine","Niklaus","Sophie","Yukihiro","Shafi","Zoë","Björn","Łukasz","José","Mei"]')),
  last(k, word) AS (SELECT key, value FROM json_each('["Lovelace","Hopper","Torvalds","Hamilton","Ritchie","Liskov","Thompson","Allen","Dijkstra","Perlman","van Rossum","Borg","Berners-Lee","Lamarr","Turing","Johnson","Wirth","Wilson","Matsumoto","Goldwasser","O''Brien","Müller","Nowak","García","Zhang"]')),
  place(k, country, city) AS (SELECT key, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each('[["DE","Berlin"],["FR","Lyon"],["US","Austin"],["JP","Osaka"],["BR","Recife"],["IN","Pune"],["PL","Kraków"],["ES","Sevilla"],["CA",null],["NL","Utrecht"],["SE","Malmö"]]'))
INSERT INTO customers (id, email, first_name, last_name, country, city, signed_up_at, is_vip, notes)
SELECT i,
       lower(replace((SELECT word FROM first WHERE k = i % 25), ' ', '')) || '.' || i || '@example.com',
       (SELECT word FROM first WHERE k = i % 25),
       (SELECT word FROM last WHERE k = (i * 11) % 25),
       (SELECT country FROM place WHERE k = i % 11),
       (SELECT city FROM place WHERE k = i % 11),
       datetime('2022-06-01', '+' || (i * 13 % 900) || ' days'),
       CASE WHEN i % 17 = 0 THEN 1 ELSE 0 END,
       CASE WHEN i % 50 = 0 THEN 'Prefers delivery after 6 pm;
call before.' WHEN i % 23 = 0 THEN '' END
  FROM n;

INSERT INTO employees (id, name, title, manager_id, hired_on) VALUES
  (1, 'Rosa Parker', 'Head of Operations', NULL, '2019-03-01'),
  (2, 'Ivan Petrov', 'Support Lead', 1, '2020-01-15'),
  (3, 'Amara Okafor', 'Support Agent', 2, '2021-05-10'),
  (4, 'Chen Wei', 'Support Agent', 2, '2022-02-01'),
  (5, 'Lucía Fernández', 'Warehouse Lead', 1, '2020-07-20'),
  (6, 'Tom Baker', 'Packer', 5, '2023-04-03');

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6000)
INSERT INTO orders (id, customer_id, handled_by, status, ordered_at, shipped_at, metadata)
SELECT i,
       1 + (i * 7907) % 1500,
       CASE WHEN i % 9 = 0 THEN NULL ELSE 2 + i % 3 END,
       CASE WHEN i % 41 = 0 THEN 'cancelled' WHEN i > 5900 THEN 'new' WHEN i > 5800 THEN 'paid'
            WHEN i > 5500 THEN 'shipped' ELSE 'delivered' END,
       datetime('2023-01-01', '+' || (i * 157 / 1000) || ' days', '+' || (i * 7919 % 86400) || ' seconds'),
       CASE WHEN i <= 5800 AND i % 41 <> 0
            THEN datetime('2023-01-01', '+' || (i * 157 / 1000 + 1 + i % 3) || ' days') END,
       CASE WHEN i % 10 = 0 THEN json_object('channel', CASE WHEN i % 20 = 0 THEN 'mobile' ELSE 'web' END,
                                            'coupon', CASE WHEN i % 30 = 0 THEN 'SPRING' || (i % 7) END) END
  FROM n;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6000),
  k(j) AS (VALUES (0), (1), (2))
INSERT INTO order_items (order_id, product_id, quantity, unit_price)
SELECT n.i, 1 + (n.i * 13 + k.j * 71) % 240, 1 + (n.i + k.j) % 4,
       (SELECT price FROM products WHERE id = 1 + (n.i * 13 + k.j * 71) % 240)
  FROM n, k
 WHERE k.j < 1 + n.i % 3;

CREATE VIEW order_totals AS
SELECT o.id AS order_id, o.customer_id, o.status, o.ordered_at,
       count(*) AS items, sum(i.quantity * i.unit_price) AS total
  FROM orders o JOIN order_items i ON i.order_id = o.id
 GROUP BY o.id;

CREATE VIEW top_customers AS
SELECT c.id, c.first_name || ' ' || c.last_name AS name, c.country,
       count(DISTINCT t.order_id) AS orders, round(sum(t.total), 2) AS spent
  FROM customers c JOIN order_totals t ON t.customer_id = c.id
 WHERE t.status <> 'cancelled'
 GROUP BY c.id
 ORDER BY spent DESC
 LIMIT 50;

CREATE TRIGGER order_items_take_stock AFTER INSERT ON order_items
BEGIN
  UPDATE products SET stock = max(stock - NEW.quantity, 0) WHERE id = NEW.product_id;
END;

COMMIT;
ANALYZE;
