-- migrate:expand
ALTER TYPE factor_type ADD VALUE 'phone';
