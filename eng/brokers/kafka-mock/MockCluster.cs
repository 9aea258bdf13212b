using System.Runtime.InteropServices;

namespace Messaging.Adapters.KafkaMock;

/// <summary>One librdkafka mock cluster and the client handle it lives on.</summary>
internal sealed class MockCluster : IDisposable
{
    private const int ProducerType = 0;
    private readonly IntPtr _handle;
    private readonly IntPtr _cluster;

    private MockCluster(IntPtr handle, IntPtr cluster)
    {
        _handle = handle;
        _cluster = cluster;
        Bootstraps = Marshal.PtrToStringUTF8(NativeMethods.rd_kafka_mock_cluster_bootstraps(cluster)) ?? "";
    }

    public string Bootstraps { get; }

    public static MockCluster Create(int brokers)
    {
        var error = Marshal.AllocHGlobal(512);
        try
        {
            // The handle is only the cluster's bookkeeping: it connects nowhere.
            var handle = NativeMethods.rd_kafka_new(ProducerType, NativeMethods.rd_kafka_conf_new(), error, 512);
            if (handle == IntPtr.Zero)
            {
                throw new InvalidOperationException("rd_kafka_new failed: " + Marshal.PtrToStringUTF8(error));
            }

            var cluster = NativeMethods.rd_kafka_mock_cluster_new(handle, brokers);
            if (cluster == IntPtr.Zero)
            {
                NativeMethods.rd_kafka_destroy(handle);
                throw new InvalidOperationException("rd_kafka_mock_cluster_new failed.");
            }

            return new MockCluster(handle, cluster);
        }
        finally
        {
            Marshal.FreeHGlobal(error);
        }
    }

    public static string ErrorName(int error) => Marshal.PtrToStringUTF8(NativeMethods.rd_kafka_err2name(error)) ?? error.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public int CreateTopic(string topic, int partitions, int replication) => NativeMethods.rd_kafka_mock_topic_create(_cluster, topic, partitions, replication);

    public int DeleteTopic(string topic) => NativeMethods.rd_kafka_mock_topic_delete(_cluster, topic);

    public int SetLeader(string topic, int partition, int broker) => NativeMethods.rd_kafka_mock_partition_set_leader(_cluster, topic, partition, broker);

    public int BrokerDown(int broker) => NativeMethods.rd_kafka_mock_broker_set_down(_cluster, broker);

    public int BrokerUp(int broker) => NativeMethods.rd_kafka_mock_broker_set_up(_cluster, broker);

    public int BrokerRtt(int broker, int milliseconds) => NativeMethods.rd_kafka_mock_broker_set_rtt(_cluster, broker, milliseconds);

    public void PushRequestErrors(short apiKey, int[] errors) => NativeMethods.rd_kafka_mock_push_request_errors_array(_cluster, apiKey, (UIntPtr)errors.Length, errors);

    public void ClearRequestErrors(short apiKey) => NativeMethods.rd_kafka_mock_clear_request_errors(_cluster, apiKey);

    public void SetInitialRebalanceDelay(int milliseconds) => NativeMethods.rd_kafka_mock_group_initial_rebalance_delay_ms(_cluster, milliseconds);

    public void SetControllerId(int broker) => NativeMethods.rd_kafka_mock_set_controller_id(_cluster, broker);

    public void Dispose()
    {
        NativeMethods.rd_kafka_mock_cluster_destroy(_cluster);
        NativeMethods.rd_kafka_destroy(_handle);
    }
}
