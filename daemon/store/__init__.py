"""The incident store: models, engine, migrations, queries."""
