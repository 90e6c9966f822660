-- The tokens a dataset version trains on, counted at upload with the tokenizer of the base model the
-- upload named (both null when it named none: a dataset is not bound to one base model).
alter table training.dataset
    add column tokens            bigint,
    add column tokens_base_model text;
