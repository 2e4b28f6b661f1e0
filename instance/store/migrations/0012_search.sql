-- The words of the search index, for finding what a misspelt search word
-- meant ("shoping" finds "shopping"): fts5vocab reads the index items_fts
-- already keeps, so this stores nothing new and needs no triggers.
CREATE VIRTUAL TABLE items_vocab USING fts5vocab(items_fts, 'row');
