"""Social ROI Warehouse: extract marketing data, model it with dbt, validate it, publish it for BI."""
