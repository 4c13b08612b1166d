require "sidekiq"

class ChargeWorker
  include Sidekiq::Worker
end
