require "active_record"

ActiveRecord::Base.establish_connection(adapter: "sqlite3", database: ":memory:")
ActiveRecord::Schema.verbose = false
ActiveRecord::Schema.define { create_table(:orders) { |t| t.integer :total } }

class Order < ActiveRecord::Base; end

def show_order(id)
  Order.find(id)
end

show_order(42)
