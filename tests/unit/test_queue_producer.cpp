#include <jq/queue/producer.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

using jq::queue::NewJob;
using jq::queue::Producer;

namespace {

std::size_t batch_of(const std::vector<NewJob>& jobs)
{
  std::vector<const NewJob*> pointers;
  for (const auto& job : jobs) {
    pointers.push_back(&job);
  }
  return Producer::batch_size(pointers);
}

NewJob job_of(std::size_t bytes)
{
  NewJob job;
  job.data = std::string(bytes, 'x');
  return job;
}

} // namespace

TEST_CASE("Producer::batch_size: up to k_batch small jobs in one call")
{
  CHECK(batch_of({}) == 0);
  CHECK(batch_of(std::vector<NewJob>(3, job_of(10))) == 3);
  CHECK(batch_of(std::vector<NewJob>(Producer::k_batch + 7, job_of(10)))
        == Producer::k_batch);
}

TEST_CASE("Producer::batch_size: large jobs share a call up to k_batch_bytes")
{
  const std::size_t quarter = Producer::k_batch_bytes / 4;
  CHECK(batch_of(std::vector<NewJob>(5, job_of(quarter))) == 4);
  CHECK(batch_of(std::vector<NewJob>(5, job_of(quarter + 1))) == 3);
  // A job larger than a call's bytes goes alone, first or next.
  const std::vector<NewJob> big{job_of(Producer::k_batch_bytes + 1),
                                job_of(10)};
  CHECK(batch_of(big) == 1);
  const std::vector<NewJob> small_first{job_of(10),
                                        job_of(Producer::k_batch_bytes)};
  CHECK(batch_of(small_first) == 1);
}
